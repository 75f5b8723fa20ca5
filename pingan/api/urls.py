from .accountability import router as accountability_router
from .audit import router as audit_router
from .base import api
from .campaigns import router as campaigns_router
from .cases import router as cases_router
from .creation import router as creation_router
from .focusareas import router as focusareas_router
from .inspections import router as inspections_router
from .kpis import router as kpis_router
from .notices import router as notices_router
from .public import router as public_router
from .reference import auth_router
from .reference import router as reference_router
from .reports import router as reports_router
from .screening import router as screening_router
from .statistics import router as statistics_router
from .suggestions import router as suggestions_router
from .supervision import router as supervision_router
from .surges import router as surges_router

api.add_router("/", cases_router)
api.add_router("/", reference_router)
api.add_router("/", notices_router)
api.add_router("/", kpis_router)
api.add_router("/", audit_router)
api.add_router("/", statistics_router)
api.add_router("/", reports_router)
api.add_router("/", supervision_router)
api.add_router("/", accountability_router)
api.add_router("/", screening_router)
api.add_router("/", focusareas_router)
api.add_router("/", surges_router)
api.add_router("/", inspections_router)
api.add_router("/", creation_router)
api.add_router("/", campaigns_router)
api.add_router("/", suggestions_router)
api.add_router("/auth", auth_router)
api.add_router("/public", public_router)

urlpatterns = api.urls

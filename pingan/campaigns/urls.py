from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/tasks/", views.task_new, name="task_new"),
    path("<int:campaign_id>/tasks/<int:task_id>/<str:task_action>/", views.task_action, name="task_action"),
    path("<int:campaign_id>/findings/", views.finding_new, name="finding_new"),
    path("<int:campaign_id>/reviews/", views.review_new, name="review_new"),
    path("<int:campaign_id>/reviews/<int:round_id>/items/<int:item_id>/", views.reinspect, name="reinspect"),
    path("<int:campaign_id>/evidence/<int:evidence_id>/", views.evidence, name="evidence"),
]

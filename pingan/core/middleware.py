"""Errors in the right shape: domain errors raised in web pages become pages, with the same code and
message as the API; the API's own fallbacks become JSON."""

from django.http import JsonResponse
from django.shortcuts import render

from .errors import DomainError


class DomainErrorPages:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        return exception.answer(render(request, "pingan/error.html", {"error": exception}))


class NoStore:
    """Pages and API answers are never kept by browsers or proxies (DESIGN §8): most carry personal
    data or a user's scope. Static files (WhiteNoise, earlier in the chain) keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


API_FALLBACKS = {
    404: DomainError("not_found", "接口地址不存在，请对照接口文档 /api/v1/docs 检查。", status=404),
    405: DomainError("method_not_allowed", "该接口不支持此请求方法，请对照接口文档检查。", status=405),
}


class ApiErrorShape:
    """An API client gets every error in the API's JSON shape (DESIGN §7), also the 404 of an unknown
    address and the 405 of a wrong method, which Django and ninja answer in HTML or plain text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        fallback = API_FALLBACKS.get(response.status_code)
        if (
            fallback is None
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        shaped = fallback.answer(JsonResponse(fallback.as_dict()))
        if response.has_header("Allow"):
            shaped["Allow"] = response["Allow"]
        return shaped

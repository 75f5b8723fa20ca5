"""Domain errors raised in web pages become pages, with the same code and message as the API."""

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

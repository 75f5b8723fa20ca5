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

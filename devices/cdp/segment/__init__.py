"""The demo shop through Segment's analytics-next and its Braze (Actions) web-mode destination."""

from django.apps import AppConfig


class SharesConfig(AppConfig):
    name = "shares"
    verbose_name = "Share links"
    # Jobs for the scheduler (documents' run_periodic), which lives below this app and so cannot import it.
    periodic_jobs: list = []

    def ready(self) -> None:
        from shares import services

        self.periodic_jobs = [("delete share links that ended a while ago", 24 * 3600, services.shares_prune)]

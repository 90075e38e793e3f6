"""The beat heartbeat (§16): beat schedules it every minute (config/celery.py) and a worker runs
it, so a fresh heartbeat shows the whole chain that runs the sweeps is alive."""

from celery import shared_task

from . import services


@shared_task(bind=True, ignore_result=True)
def beat_heartbeat(self) -> None:
    services.record_heartbeat(host=self.request.hostname or "")

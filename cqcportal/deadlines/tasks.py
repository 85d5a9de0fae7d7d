"""The clock's Celery tasks: thin; the rules are in services."""

from celery import shared_task

from cqcportal.deadlines.sweep import deadlines_sweep


@shared_task(name="deadlines.sweep", acks_late=True)  # idempotent: the ledger makes a repeat do nothing
def deadlines_sweep_task() -> dict:
    """Periodic: do every reminder, close and escalation that is due, once."""
    result = deadlines_sweep()
    return {
        "processed": result.processed,
        "reminders": result.reminders,
        "closed": result.closed,
        "escalated": result.escalated,
        "notifications": result.notifications,
        "failed": len(result.failed),
    }

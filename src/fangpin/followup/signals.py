"""Keep the stored must-visit lists in step with the registry (R-DISC-05, R-CFG-04).

A household's entry is recomputed after the transaction that changed its members, tags, risk types,
incomes or place commits. Bulk loads (the demo generator, the national import) bypass row signals:
the ``compute_must_visits`` command recomputes whole counties after them and every night.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from fangpin.registry.models import Household, IncomeRecord, Member, MemberMove

log = logging.getLogger("fangpin.followup")


def _refresh_after_commit(household_ids):
    ids = sorted({i for i in household_ids if i})
    if not ids:
        return

    def run():
        from .mustvisit import refresh_households

        try:
            refresh_households(ids)
        except Exception:  # the registry change is committed; the nightly run repairs the list
            log.exception("must-visit refresh failed for households %s", ids)

    transaction.on_commit(run)


@receiver(post_save, sender=Household)
def _household_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _refresh_after_commit([instance.pk])


@receiver(post_save, sender=Member)
@receiver(post_save, sender=IncomeRecord)
def _household_row_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _refresh_after_commit([instance.household_id])


@receiver(post_save, sender=MemberMove)
def _member_moved(sender, instance, raw=False, **kwargs):
    if not raw:
        _refresh_after_commit([instance.from_household_id, instance.to_household_id])


@receiver(m2m_changed, sender=Household.tags.through)
def _tags_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    _refresh_after_commit(list(pk_set or ()) if reverse else [instance.pk])

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fangpin.profiles import stamps

from .models import Term


@receiver([post_save, post_delete], sender=Term)
def _terms_changed(**kwargs):
    """Every process reloads the value lists after any change to a term (R-CFG-04)."""
    stamps.changed(stamps.VOCAB)

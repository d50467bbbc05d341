from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import vocab
from .models import Term


@receiver([post_save, post_delete], sender=Term)
def _terms_changed(**kwargs):
    vocab.invalidate()

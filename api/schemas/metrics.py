"""The metrics body: buckets over time, totals and one row per revision."""

from api.schemas.common import public_model
from core.metrics import Bucket, Figures, Metrics, RevisionFigures

FiguresPublic = public_model(Figures, 'FiguresPublic')
BucketPublic = public_model(Bucket, 'BucketPublic')
RevisionFiguresPublic = public_model(RevisionFigures, 'RevisionFiguresPublic')
MetricsPublic = public_model(
    Metrics, 'MetricsPublic',
    nested={'buckets': list[BucketPublic], 'totals': FiguresPublic, 'by_revision': list[RevisionFiguresPublic]},
)  # fmt: skip

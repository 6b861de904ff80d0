"""Container image references: is one pinned to something that cannot move?"""

from __future__ import annotations


def unpinned_image(image: str) -> str | None:
    """Why ``image`` is not pinned ("has no tag", "uses the moving 'latest' tag"), or None. A digest
    pins it; a variable or template (``$TAG``, ``${TAG}``, ``{{ .Values.tag }}``) is set elsewhere."""
    if not image or "@sha256:" in image or "$" in image or "{{" in image:
        return None
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag:
        return "has no tag"
    if tag.lower() == "latest":
        return "uses the moving 'latest' tag"
    return None

"""The static files' storage in production: WhiteNoise's compressed, hashed files, with each file's address worked
out once a process.

Every page names seven static files (styles, scripts, icons). Turning a name into its hashed address costs Django
about 20 microseconds (the manifest lookup, then splitting, quoting and joining the URL), and the answer cannot
change while the process runs: the manifest is read when it starts. See docs/adr/0013-national-scale.md.
"""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        # With DEBUG, or when forced (collectstatic), Django answers from the files themselves: not remembered.
        if force or settings.DEBUG:
            return super().url(name, force)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url

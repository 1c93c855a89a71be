# SHIM until the layout helper lands
import fnmatch


def select(tracks, include, exclude):
    def hit(t, patterns):
        return any(fnmatch.fnmatchcase(t.track_name, p) or p == t.track_id for p in patterns)

    return [t for t in tracks if hit(t, include) and not hit(t, exclude)]

"""``omnisock.legacy``: the names of websockets' deprecated legacy API that its programs still
import, mapped onto the current API (``connect``, ``serve``, ``basic_auth``)."""

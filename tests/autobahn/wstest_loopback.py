# Python 2.7: runs Autobahn|Testsuite's wstest with its fuzzing server bound to 127.0.0.1
# instead of every interface (wstest's own default). Arguments are wstest's.
import autobahntestsuite.fuzzing as fuzzing
from autobahntestsuite import wstest

_listen_ws = fuzzing.listenWS


def listen_loopback(factory, contextFactory=None, backlog=50, interface="127.0.0.1"):
    return _listen_ws(factory, contextFactory, backlog, interface)


fuzzing.listenWS = listen_loopback

if __name__ == "__main__":
    wstest.run()

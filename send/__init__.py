"""``tillroll send`` and ``tillroll verify``: a cassette's requests sent *to* a live API.

The other direction from :mod:`tillroll.replay`, which answers *as* the vendor (mitmproxy
keeps the two apart too: client playback and server playback). The recorded requests are
planned in recorded order with their pseudonyms filled (``plan.py``, ``secrets.py``),
values a live answer hands out are carried to later requests (``chaining.py``), the
aiohttp client sends them to a target (``targets.py``, ``sender.py``), and ``verify``
compares each live answer with the recorded one (``drift.py``); ``run.py`` is the run,
``cli.py`` the two commands.
"""

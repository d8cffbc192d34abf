"""Placeholder until the generator lands."""
def generate(session, *, clients, random_seed=None, progress=None, now=None):
    return {"clients": 0}

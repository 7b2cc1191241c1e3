"""When the demo shop's people buy, and when they make an account.

Repeat buying follows the story BG/NBD tells (Fader, Hardie & Lee 2005): while "alive", a
person buys at their own rate (gamma-distributed across people, shaped by the shop's
seasons); after each purchase they drop out with their own probability (beta-distributed).
So most people buy once, a long tail buys 5 to 20 times, and some repeat buyers go quiet.
"""

from __future__ import annotations

import random

from ingest.demo.catalog import IdSequence
from ingest.demo.people import Person, make_person
from ingest.demo.shop_calendar import DAY, HOUR, MINUTE, ShopCalendar

GUEST_SHARE = 0.25  # people who check out without an account
NEVER_BUYS_SHARE = 0.07  # registered people who never place an order
CHECKOUT_SIGNUP_SHARE = 0.7  # accounts made at the first checkout (the rest earlier, empty)
LATE_SIGNUP_SHARE = 0.12  # repeat guests who make an account before a later order
MAX_OCCASIONS = 20
RATE_SHAPE, RATE_MEAN_PER_DAY = 1.0, 1 / 55  # buying rate while alive
DROPOUT_A, DROPOUT_B = 0.9, 0.6  # probability of leaving after each purchase
MIN_GAP = 6 * HOUR


def make_people(rng: random.Random, cal: ShopCalendar, count: int) -> list[Person]:
    """``count`` people with purchase occasions and sign-up times, customer ids assigned."""
    taken: set[str] = set()
    opening = cal.start + DAY
    people = []
    for _ in range(count):
        person = make_person(rng, taken, guest=rng.random() < GUEST_SHARE)
        arrival = cal.sample_time(rng, opening, cal.end)
        if not person.guest and rng.random() < NEVER_BUYS_SHARE:
            person.registered_at, person.full_profile_at_signup = arrival, False
        else:
            person.occasions = purchase_occasions(rng, cal, arrival)
            _sign_up(rng, cal, person)
        people.append(person)
    _assign_customer_ids(rng, people)
    return people


def purchase_occasions(rng: random.Random, cal: ShopCalendar, first: int) -> list[int]:
    """The moments a person sets out to buy, from ``first`` until they drop out or the
    window ends."""
    per_day = rng.gammavariate(RATE_SHAPE, RATE_MEAN_PER_DAY / RATE_SHAPE)
    dropout = rng.betavariate(DROPOUT_A, DROPOUT_B)
    times = [first]
    while len(times) < MAX_OCCASIONS and rng.random() >= dropout:
        following = cal.next_time(rng, times[-1] + MIN_GAP, per_day)
        if following is None:
            break
        times.append(following)
    return times


def _sign_up(rng: random.Random, cal: ShopCalendar, person: Person) -> None:
    first = person.occasions[0]
    if person.guest:
        if len(person.occasions) > 1 and rng.random() < LATE_SIGNUP_SHARE:
            later = person.occasions[rng.randrange(1, len(person.occasions))]
            person.registered_at = later - rng.randint(MINUTE, 15 * MINUTE)
        return
    if rng.random() < CHECKOUT_SIGNUP_SHARE:
        person.registered_at = first - rng.randint(MINUTE, 15 * MINUTE)
        return
    earliest = max(cal.start + 2 * HOUR, first - 30 * DAY)
    person.registered_at = rng.randint(min(earliest, first - HOUR), first - HOUR)
    person.full_profile_at_signup = False


def _assign_customer_ids(rng: random.Random, people: list[Person]) -> None:
    """WordPress user ids in sign-up order (id 1 is the shop owner; a few spam accounts
    were deleted along the way)."""
    users = IdSequence(2, skip_rate=0.02)
    registered = [p for p in people if p.registered_at is not None]
    for person in sorted(registered, key=lambda p: p.registered_at or 0):
        person.customer_id = users.take(rng)

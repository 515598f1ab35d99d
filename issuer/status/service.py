"""Status lists: random index allocation, revocation and suspension bits, the signed lists.

Each issuer has an open list per purpose (``revocation``, ``suspension``) of 131,072
entries. Indexes are drawn at random (Bitstring Status List, "Privacy Considerations") and
the (list, index) unique constraints on ``credential`` make double allocation impossible;
the allocator only avoids collisions it can see. A bit is flipped under a row lock on the
list, and the list credential is re-signed in the same transaction, so a concurrent flip
is never lost and a revocation shows in ``/status/{list}`` as soon as it commits.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from badges import Bitstring, build_status_list_credential, sign_credential
from issuer.db import Work
from issuer.models import Credential, Issuer, StatusList
from keys import Signer

LIST_SIZE = 131_072
PURPOSES = ("revocation", "suspension")
# Rounds of drawing and checking before the allocator treats a list as full.
_MAX_DRAW_ROUNDS = 20
_IN_CHUNK = 500


def _columns(purpose: str) -> tuple[str, str]:
    return f"{purpose}_list_id", f"{purpose}_index"


def list_url(base_url: str, list_id: str) -> str:
    """Return the public URL of a status list."""
    return f"{base_url}/status/{list_id}"


def sign_list(
    row: StatusList, *, issuer: Issuer, base_url: str, signer: Signer, now: datetime
) -> None:
    """Re-sign ``row``'s list credential from its bits; sets ``document`` and ``etag``."""
    unsigned = build_status_list_credential(
        list_url=list_url(base_url, row.id),
        issuer_id=issuer.did,
        purpose=row.purpose,
        bits=Bitstring.from_bytes(row.bits),
        now=now,
    )
    signed = sign_credential(unsigned, proof_signer=signer, now=now)
    text = json.dumps(signed.credential, ensure_ascii=False, separators=(",", ":"))
    row.document = text
    row.etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    row.updated_at = now


def new_list(
    *, issuer: Issuer, purpose: str, base_url: str, signer: Signer, now: datetime
) -> StatusList:
    """Return a new, signed, all-zero list (not yet added to a session)."""
    row = StatusList(
        id=str(uuid.uuid4()),
        issuer_id=issuer.pk,
        purpose=purpose,
        size=LIST_SIZE,
        full=False,
        bits=bytes(LIST_SIZE // 8),
        document="",
        etag="",
        created_at=now,
        updated_at=now,
    )
    sign_list(row, issuer=issuer, base_url=base_url, signer=signer, now=now)
    return row


def open_list(work: Work, *, issuer: Issuer, purpose: str, signer: Signer) -> StatusList:
    """Return ``issuer``'s open list for ``purpose``, starting one if it has none.

    For identities that hold a status entry per document rather than per badge (the
    platform's certifications): a new list is added to the session and flushed, inside the
    caller's write transaction; the caller draws an index on it that its own table keeps
    unique, and counts it with :func:`add_usage`. A new list is signed by ``signer`` at
    ``work.now``.
    """
    session = work.session
    found = session.exec(
        select(StatusList)
        .where(
            StatusList.issuer_id == issuer.pk,
            StatusList.purpose == purpose,
            col(StatusList.full).is_(False),
        )
        .order_by(col(StatusList.created_at).desc(), col(StatusList.id))
        .limit(1)
    ).first()
    if found is not None and found.used < found.size // 2:
        return found
    if found is not None:
        # Half full: random draws would start to collide; the next document gets a new list.
        found.full = True
        session.add(found)
    row = new_list(
        issuer=issuer,
        purpose=purpose,
        base_url=work.settings.base_url,
        signer=signer,
        now=work.now,
    )
    session.add(row)
    session.flush()
    return row


def resign_lists(work: Work, *, issuer: Issuer, signer: Signer) -> None:
    """Re-sign every list of ``issuer`` with ``signer`` at ``work.now`` (after a key
    rotation), under row locks."""
    session, base_url, now = work.session, work.settings.base_url, work.now
    rows = session.exec(
        select(StatusList)
        .where(StatusList.issuer_id == issuer.pk)
        .order_by(col(StatusList.id))  # one lock order for every worker: no deadlock
        .with_for_update(key_share=True)
    ).all()
    for row in rows:
        sign_list(row, issuer=issuer, base_url=base_url, signer=signer, now=now)
        session.add(row)


def set_bit(
    work: Work,
    *,
    list_id: str,
    index: int,
    value: bool,
    issuer: Issuer,
    signer: Signer,
) -> None:
    """Set one bit and re-sign the list, inside the caller's write transaction.

    ``FOR NO KEY UPDATE`` serializes flips of the same list across workers, while still
    letting credential inserts (which take a key-share lock through their foreign key)
    proceed.
    """
    session = work.session
    row = session.exec(
        select(StatusList).where(StatusList.id == list_id).with_for_update(key_share=True)
    ).one()
    bits = Bitstring.from_bytes(row.bits)
    bits.set(index, value)
    row.bits = bits.to_bytes()
    sign_list(row, issuer=issuer, base_url=work.settings.base_url, signer=signer, now=work.now)
    session.add(row)


def set_bits(
    work: Work,
    *,
    list_id: str,
    indexes: Sequence[int],
    value: bool,
    issuer: Issuer,
    signer: Signer,
) -> None:
    """Set several bits of one list and re-sign it once, inside the caller's write transaction.

    Locks the list as :func:`set_bit` does.
    """
    session = work.session
    row = session.exec(
        select(StatusList).where(StatusList.id == list_id).with_for_update(key_share=True)
    ).one()
    bits = Bitstring.from_bytes(row.bits)
    for index in indexes:
        bits.set(index, value)
    row.bits = bits.to_bytes()
    sign_list(row, issuer=issuer, base_url=work.settings.base_url, signer=signer, now=work.now)
    session.add(row)


@dataclass
class Slot:
    """A planned (list, index) for one credential and purpose."""

    list_id: str
    index: int


@dataclass
class Allocator:
    """Plans random free indexes for a batch, opening new lists when one fills up.

    New lists and lists to mark full are kept in ``new_lists`` / ``filled`` until the
    caller's write transaction saves them with :meth:`save`.
    """

    session: Session
    issuer: Issuer
    purpose: str
    fill: float
    base_url: str
    signer: Signer
    now: datetime
    new_lists: list[StatusList] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    _current: StatusList | None = None
    _used: int = 0
    _taken: dict[str, set[int]] = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        return int(LIST_SIZE * self.fill)

    def _open(self) -> StatusList:
        if self._current is not None:
            return self._current
        row = self.session.exec(
            select(StatusList)
            .where(
                StatusList.issuer_id == self.issuer.pk,
                StatusList.purpose == self.purpose,
                col(StatusList.full).is_(False),
            )
            .order_by(col(StatusList.created_at).desc(), col(StatusList.id))
            .limit(1)
            # Sessions keep objects after commit; read the counter as stored now.
            .execution_options(populate_existing=True)
        ).first()
        if row is None:
            row = self._start_new()
        else:
            self._used = row.used
        self._current = row
        return row

    def _start_new(self) -> StatusList:
        row = new_list(
            issuer=self.issuer,
            purpose=self.purpose,
            base_url=self.base_url,
            signer=self.signer,
            now=self.now,
        )
        self.new_lists.append(row)
        self._used = 0
        self._current = row
        return row

    def _close_current(self) -> None:
        if self._current is not None:
            if self._current in self.new_lists:
                self._current.full = True
            else:
                self.filled.append(self._current.id)
        self._start_new()

    def take(self, count: int) -> list[Slot]:
        """Plan ``count`` slots, each on a free index of an open list."""
        slots: list[Slot] = []
        while len(slots) < count:
            current = self._open()
            room = self.capacity - self._used - len(self._taken.get(current.id, ()))
            if room <= 0:
                self._close_current()
                continue
            drawn = self._draw(current.id, min(room, count - len(slots)))
            if drawn is None:
                self._close_current()
                continue
            slots.extend(Slot(current.id, index) for index in drawn)
        return slots

    def _draw(self, list_id: str, count: int) -> list[int] | None:
        taken = self._taken.setdefault(list_id, set())
        chosen: set[int] = set()
        for _ in range(_MAX_DRAW_ROUNDS):
            candidates: set[int] = set()
            while len(candidates) < count - len(chosen):
                index = secrets.randbelow(LIST_SIZE)
                if index not in taken and index not in chosen:
                    candidates.add(index)
            free = candidates - used_indexes(self.session, self.purpose, list_id, candidates)
            chosen |= free
            if len(chosen) == count:
                taken |= chosen
                return list(chosen)
        return None

    def release(self, slots: Iterable[Slot]) -> None:
        """Forget planned slots (their credential is re-planned after a collision)."""
        for slot in slots:
            self._taken.get(slot.list_id, set()).discard(slot.index)

    def save(self, slots: Iterable[Slot] = ()) -> None:
        """Add new lists, count ``slots`` (the stored credentials' entries) on their lists
        and mark filled lists, inside the caller's write transaction."""
        for row in self.new_lists:
            if self.session.get(StatusList, row.id) is None:
                self.session.add(row)
        # Credentials reference the new lists; write the lists first.
        self.session.flush()
        add_usage(self.session, slots)
        for list_id in self.filled:
            filled = self.session.get(StatusList, list_id)
            if filled is not None and not filled.full:
                filled.full = True
                self.session.add(filled)


def add_usage(session: Session, slots: Iterable[Slot]) -> None:
    """Raise each list's ``used`` counter by its number of ``slots``.

    One ``UPDATE ... SET used = used + n`` per list: atomic under concurrent writers (the
    row lock in PostgreSQL, the write lock in SQLite), so no increment is lost.
    """
    counts: dict[str, int] = {}
    for slot in slots:
        counts[slot.list_id] = counts.get(slot.list_id, 0) + 1
    for list_id in sorted(counts):  # one lock order for every worker: no deadlock
        session.execute(
            update(StatusList)
            .where(col(StatusList.id) == list_id)
            .values(used=col(StatusList.used) + counts[list_id])
            .execution_options(synchronize_session=False)
        )


def used_indexes(session: Session, purpose: str, list_id: str, indexes: Iterable[int]) -> set[int]:
    """Return which of ``indexes`` on ``list_id`` are already held by a credential."""
    list_col, index_col = _columns(purpose)
    wanted: Sequence[int] = list(indexes)
    found: set[int] = set()
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        found.update(
            session.exec(
                select(getattr(Credential, index_col)).where(
                    getattr(Credential, list_col) == list_id,
                    col(getattr(Credential, index_col)).in_(chunk),
                )
            ).all()
        )
    return found

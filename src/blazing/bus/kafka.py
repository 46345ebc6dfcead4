"""The bus on Apache Kafka (aiokafka).

- Publishing: one idempotent producer (``acks=all``) per bus, messages keyed by
  the caller's key, so one key stays on one partition and in order. A send is
  bounded by :attr:`KafkaBus.publish_timeout`: with the broker gone, ``publish``
  raises ``DependencyUnavailable`` after a few seconds instead of hanging (the
  message may still be delivered once the broker is back; see ``publish``).
- Subscribing: one consumer per subscription, in the caller's consumer group,
  without auto-commit (``commit`` marks what was handled: at-least-once). Groups
  named ``gateway-…`` start at the end of the topic when they have no committed
  offset (a gateway only wants new events); every other group starts at the
  beginning, so a game service that joins late still handles queued commands.
- Recovery: aiokafka reconnects by itself. A producer whose broker comes back
  resumes sending; a consumer rediscovers its group coordinator, rejoins the group
  and resumes from the committed offsets (so messages handled but not committed
  come again, which the callers tolerate). Nothing here waits without a deadline
  except the iterator, which waits for the next message for as long as it takes.
- Repair: a batch lost while the broker shuts down under load leaves the
  idempotent producer out of sequence on that partition
  (``OutOfOrderSequenceNumber``), and aiokafka never recovers from that. Such a
  producer is replaced by a new one (a new producer id starts its sequences
  afresh) and the send is tried once more on it; until a replacement starts,
  ``ping`` says the producer is broken.
- Rebalances: a member losing partitions first waits (briefly) for the batch it is
  handling, commits what it handled of them, then forgets them; it never commits
  offsets of partitions it no longer owns (aiokafka refuses that, and it used to
  kill the consume loop). ``close`` always stops the consumer, whatever its last
  commit did, so a dynamic member leaves the group at once.
- Static membership: with ``instance_id`` every consumer joins its group under
  that name (KIP-345). A member that dies and is replaced under the same name
  within the session timeout gets its partitions back without a rebalance, so the
  other members never stop. A static member does not leave the group when it stops
  (aiokafka sends no LeaveGroup for it): its partitions wait for its replacement,
  or move once the session timeout passes.
- Offsets are committed in the background: a commit the coordinator is slow to
  answer never holds the caller's consume loop. After a broker crash a consumer's
  group coordinator lookup can hang for good (seen under load: no lookup is sent
  again once the broker is back, so every commit times out). While commits fail
  the subscription asks the broker for metadata every :data:`PROBE_SECONDS`; a
  commit that began :data:`BROKER_BACK_SECONDS` after the broker answered again
  and still failed marks the consumer stuck, and it is replaced by a new one in
  the same group (the old one is stopped in the background).
- Readiness (``ping``): the broker answers a metadata request, the producer is not
  broken, and every open subscription has fetched within :data:`STALL_SECONDS`
  (a consume loop that died or hangs stops fetching) and committed within
  :data:`COMMIT_STALL_SECONDS` of its first failure.
- Topics are not created here: they are provisioned with the cluster
  (``scripts/services`` creates ``games.commands`` and ``games.events``).

aiokafka ships without type information, so its names are ``Any`` to mypy.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any, Self

from aiokafka import (  # type: ignore[import-untyped]  # aiokafka has no py.typed
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerStoppedError,
    IllegalOperation,
)
from aiokafka.admin import (  # type: ignore[import-untyped]  # aiokafka has no py.typed
    AIOKafkaAdminClient,
    NewTopic,
)
from aiokafka.errors import (  # type: ignore[import-untyped]  # aiokafka has no py.typed
    CommitFailedError,
    IllegalStateError,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
    UnknownProducerId,
)

from blazing import accounting, metrics
from blazing.bus.base import Message
from blazing.errors import DependencyUnavailable

log = logging.getLogger(__name__)

LATEST_GROUP_PREFIX = "gateway-"
_DRIVER_ERRORS = (KafkaError, IllegalOperation, OSError)
_RETRY_DELAY = 0.5  # seconds between retries of a retriable fetch error
# Errors after which an idempotent producer can never send on that partition again:
# its producer id and sequence numbers no longer match the broker's.
_PRODUCER_BROKEN = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch,
                    InvalidProducerIdMapping, ProducerFenced)
FETCH_WAIT_MS = 1000  # a fetch returns after this long even with nothing to give
# A subscription that has not fetched for this long is not consuming (its loop died
# or is stuck): the bus is not ready. Well above a fetch's wait plus a slow batch.
STALL_SECONDS = 30.0
HANDOVER_SECONDS = 3.0  # how long a rebalance waits for the batch being handled
COMMIT_STALL_SECONDS = 15.0  # commits failing this long: the consumer is not ready
PROBE_SECONDS = 1.0  # while commits fail, how often to ask whether the broker answers
# After an outage a sound consumer commits again within a second or two of the broker's
# return (the coordinator loads its groups first). A commit begun this long after the
# broker answered again that still fails shows the consumer is stuck.
BROKER_BACK_SECONDS = 5.0
RENEWAL_RETRY_SECONDS = 5.0  # between attempts to start a replacement consumer


class KafkaSubscription:
    """One consumer in one group; iterate for messages, then ``commit``.

    Iteration ends (``StopAsyncIteration``) once the subscription is closed. A
    broker outage does not end it: the iterator waits and resumes when the broker
    is back. It raises ``DependencyUnavailable`` only for a fatal consumer error.
    """

    def __init__(self, bus: "KafkaBus", topic: str, group: str, consumer: Any,
                 listener: "_HandOver") -> None:
        self._bus, self._topic, self._group, self._consumer = bus, topic, group, consumer
        self._listener = listener  # the consumer's rebalance listener
        listener.subscription = self
        self.name = f"{topic} as {group}"
        self._closed = False
        # Offsets of the last message returned per partition, and of the last one the
        # caller said it handled (by calling commit) but not yet committed to Kafka.
        self._received: dict[Any, int] = {}
        self._handled: dict[Any, int] = {}
        self._last_commit = 0.0  # monotonic time of the last offset commit
        self._committing: asyncio.Task[None] | None = None  # the commit in flight
        self._commit_failing_since: float | None = None  # monotonic, while they fail
        self._last_failed_commit = 0.0  # monotonic start of the last commit that failed
        self._fatal: DependencyUnavailable | None = None  # raised to the caller
        self._next_probe = 0.0  # monotonic time of the next "does the broker answer?"
        self._next_renewal = 0.0  # monotonic time before which no renewal is tried
        self._broker_back: float | None = None  # since when the broker answers again
        self._stopped = False  # the consumer was retired and not yet replaced
        # Per partition, the last offset this subscription handled before its consumer
        # was replaced: the new one starts at the committed offset, and what lies
        # between is not handed out again.
        self._handled_before: dict[Any, int] = {}
        self.last_fetch = time.monotonic()  # when a fetch last returned
        # Set while no batch is out with the caller (between a batch and its commit).
        self._idle = asyncio.Event()
        self._idle.set()

    def __aiter__(self) -> "KafkaSubscription":
        return self

    async def __anext__(self) -> Message:
        batch = await self._fetch(1)
        if not batch:
            raise StopAsyncIteration
        return batch[0]

    async def next_batch(self, max_messages: int) -> list[Message]:
        return await self._fetch(max_messages)

    async def _fetch(self, max_messages: int) -> list[Message]:
        """At least one message (waiting for it), or [] once closed."""
        while not self._closed:
            self._idle.set()  # the caller asks for more: it is done with the last batch
            if self._fatal is not None:
                raise self._fatal
            now = time.monotonic()
            if self._stopped:
                if now >= self._next_renewal:
                    await self._renew()
            elif self._commit_failing_since is not None and now >= self._next_probe:
                await self._probe(now)
            try:
                # getmany waits up to timeout_ms for the first record, then returns
                # whatever is already fetched, per partition in offset order.
                fetched = await self._consumer.getmany(timeout_ms=FETCH_WAIT_MS,
                                                       max_records=max_messages)
            except ConsumerStoppedError:
                if self._closed:
                    break
                self._stopped = True  # a renewal stopped it and has not replaced it yet
                await asyncio.sleep(_RETRY_DELAY)
                continue
            except KafkaError as exc:
                if self._closed:
                    break
                if not getattr(exc, "retriable", False):
                    raise DependencyUnavailable(f"kafka fetch: {exc!r}") from exc
                log.warning("kafka fetch failed, retrying: %r", exc)
                await asyncio.sleep(_RETRY_DELAY)  # back off before asking again
                continue
            self.last_fetch = time.monotonic()
            batch = []
            for partition, records in fetched.items():
                if self._handled_before:
                    records = self._not_handled_yet(partition, records)
                for record in records:
                    key = record.key.decode() if record.key is not None else ""
                    batch.append(Message(key, record.value if record.value is not None
                                         else b""))
                if records:
                    self._received[partition] = records[-1].offset
            if batch:
                self._idle.clear()
                return batch
        return []

    def _not_handled_yet(self, partition: Any, records: list[Any]) -> list[Any]:
        """``records`` without those handled before the consumer was replaced."""
        last = self._handled_before.get(partition)
        if last is None:
            return records
        if records and records[-1].offset > last:
            del self._handled_before[partition]  # caught up: nothing more to skip
        return [record for record in records if record.offset > last]

    def stalled_for(self, now: float) -> float:
        """Seconds since a fetch last returned (0 while one is waiting normally)."""
        return max(0.0, now - self.last_fetch - FETCH_WAIT_MS / 1000)

    def commit_failing_for(self, now: float) -> float:
        """Seconds since commits began to fail (0 while they succeed)."""
        since = self._commit_failing_since
        return 0.0 if since is None else now - since

    async def commit(self) -> None:
        """Mark everything received so far as handled. The offsets reach Kafka at
        most every :attr:`KafkaBus.commit_interval`, when a rebalance takes their
        partitions away, and when the subscription closes; so after a crash up to
        that much is delivered again (harmless: ids dedupe). The commit itself runs
        in the background: this never waits for the broker.

        A commit is best effort, as at-least-once delivery allows: when the group
        coordinator does not answer within :attr:`KafkaBus.request_timeout` (the
        broker is down or still loading its groups after a restart), the failure is
        logged and the offsets stay pending for the next ``commit``; offsets of
        partitions a rebalance moved to another member are dropped (that member
        receives those messages again). Either way the caller's consume loop goes
        on. Only a non-retriable error (e.g. the group is not authorised) raises
        ``DependencyUnavailable`` (here, or from the next fetch)."""
        self._handled.update(self._received)
        self._received.clear()
        self._idle.set()
        if self._fatal is not None:
            raise self._fatal
        if self._closed or not self._handled:
            return
        # A commit is a broker round trip (~0.7 ms here); doing one per message would cap
        # a consumer near 1,400 messages/s. Redelivery is harmless (commands are
        # de-duplicated by id, events by id), so commit at most every commit_interval.
        now = time.monotonic()
        if now - self._last_commit < self._bus.commit_interval:
            return
        if self._committing is not None and not self._committing.done():
            return  # the one in flight is enough; what is newer goes with the next
        self._last_commit = now
        self._committing = asyncio.create_task(self._commit_in_background())

    async def _commit_in_background(self) -> None:
        try:
            await self._commit_now()
        except DependencyUnavailable as exc:
            self._fatal = exc

    async def _settle(self) -> None:
        """Wait (bounded) for the commit in flight, if any."""
        if self._committing is not None and not self._committing.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._committing),
                                       self._bus.request_timeout)

    async def _commit_now(self, partitions: set[Any] | None = None) -> None:
        """Commit the handled offsets (of ``partitions`` only, if given) of the
        partitions this member still owns; forget those of the ones it lost."""
        owned = self._consumer.assignment()
        for lost in [tp for tp in self._handled if tp not in owned]:
            del self._handled[lost]
        offsets = {tp: offset + 1 for tp, offset in self._handled.items()
                   if partitions is None or tp in partitions}
        if not offsets:
            return
        began = time.monotonic()
        try:
            async with asyncio.timeout(self._bus.request_timeout):
                await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The partitions moved to another member, which will redo those messages.
            log.info("kafka commit skipped after a rebalance: %s", exc)
            self._forget(offsets)
        except TimeoutError:
            self._failed(began)
            log.warning("kafka commit timed out; the offsets stay pending")
        except KafkaError as exc:
            if not getattr(exc, "retriable", False):
                raise DependencyUnavailable(f"kafka commit: {exc!r}") from exc
            self._failed(began)
            log.warning("kafka commit failed, the offsets stay pending: %r", exc)
        except (IllegalOperation, OSError) as exc:
            raise DependencyUnavailable(f"kafka commit: {exc!r}") from exc
        else:
            self._commit_failing_since = self._broker_back = None
            self._forget(offsets)

    def _failed(self, began: float) -> None:
        """A commit attempt begun at ``began`` (monotonic) failed."""
        if self._commit_failing_since is None:
            self._commit_failing_since = began
        self._last_failed_commit = max(self._last_failed_commit, began)

    def _forget(self, committed: dict[Any, int]) -> None:
        """Drop the offsets that were committed (unless newer ones came since)."""
        for tp, offset in committed.items():
            if self._handled.get(tp) == offset - 1:
                del self._handled[tp]

    async def _probe(self, now: float) -> None:
        """Commits are failing: tell an outage (the broker does not answer) from a
        stuck consumer (a commit begun well after the broker answered again failed),
        and replace a stuck one."""
        self._next_probe = now + PROBE_SECONDS
        if not await self._bus.broker_answers():
            self._broker_back = None
            return
        if self._broker_back is None:
            self._broker_back = now
        if self._last_failed_commit >= self._broker_back + BROKER_BACK_SECONDS:
            log.warning("kafka consumer of %s cannot commit though the broker answers; "
                        "starting a new one", self.name)
            await self._renew()

    async def _renew(self) -> None:
        """Retire the consumer (stopped in the background: a stuck one can take its
        whole timeout to stop) and join the group again with a new one; a static
        member takes its own place back. What the old one handled but could not
        commit is committed by the new one and not handed out twice. If the new one
        cannot start yet, the next fetch tries again after
        :data:`RENEWAL_RETRY_SECONDS`."""
        self._next_renewal = time.monotonic() + RENEWAL_RETRY_SECONDS
        if not self._stopped:
            if self._committing is not None:
                self._committing.cancel()  # stuck with the old consumer
            self._listener.subscription = None  # its last rebalance is not ours
            self._bus._retire(self._consumer, "stuck consumer")
            self._stopped = True
        listener = _HandOver(self)
        try:
            consumer = await self._bus._join(self._topic, self._group, listener)
        except DependencyUnavailable as exc:
            log.warning("kafka consumer of %s not renewed yet: %s", self.name, exc)
            return
        # The caller asks for more only once it is done with what it received (from
        # the old consumer, until it stopped): all of it was handled. The new consumer
        # commits it, and skips it when it comes again (a room's command must not be
        # applied twice, and rooms remember only their last commands' ids).
        self._handled.update(self._received)
        self._received.clear()
        for tp, offset in self._handled.items():
            self._handled_before[tp] = max(offset, self._handled_before.get(tp, -1))
        self._consumer, self._listener = consumer, listener
        self._stopped = False
        self._commit_failing_since = self._broker_back = None
        metrics.CONSUMER_RENEWALS.inc()

    async def hand_over(self, revoked: set[Any]) -> None:
        """A rebalance takes ``revoked`` away: let the batch being handled finish
        (for at most :data:`HANDOVER_SECONDS`, well within the rebalance timeout),
        commit what was handled of them, and forget them. What was received but not
        handled in time goes to their next owner, which handles it again."""
        if self._closed or not revoked:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HANDOVER_SECONDS):
                await self._idle.wait()
        await self._settle()
        try:
            await self._commit_now(revoked)
        except DependencyUnavailable as exc:
            log.warning("offsets not handed over in the rebalance: %s", exc)
        for tp in revoked:
            self._handled.pop(tp, None)
            self._received.pop(tp, None)

    async def close(self) -> None:
        """Hand over what was handled, leave the group (a dynamic member's partitions
        go to the other members at once) and stop. The consumer is stopped whatever
        the last commit does."""
        if self._closed:
            return
        self._closed = True
        self._bus._forget(self)
        try:
            await self._settle()
            if self._handled:
                # Hand over where the caller's handling stopped; what was received but
                # not handled goes to the next member.
                await self._commit_now()
        except DependencyUnavailable as exc:
            log.warning("kafka offsets not committed at close: %s", exc)
        finally:
            if self._committing is not None:
                self._committing.cancel()
            await _stop(self._consumer, self._bus.request_timeout, "consumer")


class _HandOver(ConsumerRebalanceListener):  # type: ignore[misc]  # untyped base
    """Lets a subscription hand over its partitions before a rebalance moves them."""

    def __init__(self, subscription: KafkaSubscription | None = None) -> None:
        self.subscription = subscription

    async def on_partitions_revoked(self, revoked: Any) -> None:
        if self.subscription is not None:
            await self.subscription.hand_over(set(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("kafka partitions assigned: %s",
                 sorted(tp.partition for tp in assigned))


class KafkaBus:
    """The :class:`~blazing.bus.base.Bus` port on Kafka."""

    def __init__(self, bootstrap: str, client_id: str = "blazing", *,
                 request_timeout: float = 5.0, publish_timeout: float = 8.0,
                 subscribe_timeout: float = 30.0, linger_ms: int = 0,
                 commit_interval: float = 0.2, ensure_topics: Sequence[str] = (),
                 topic_partitions: int = 6, instance_id: str | None = None,
                 session_timeout: float = 10.0) -> None:
        """``bootstrap`` is ``host:port[,host:port…]``. ``request_timeout`` bounds a
        broker request (and ``ping``/``commit``), ``publish_timeout`` a whole send
        including retries, ``subscribe_timeout`` joining a group (seconds);
        ``linger_ms`` is how long the producer waits to fill a batch;
        ``commit_interval`` the least time between two offset commits of a consumer;
        ``ensure_topics`` are created at start (``topic_partitions`` each) if missing;
        ``instance_id`` makes every consumer a static member under that name;
        ``session_timeout`` is how long the group waits for a silent member."""
        self.commit_interval = commit_interval
        self.ensure_topics, self.topic_partitions = tuple(ensure_topics), topic_partitions
        self.bootstrap, self.client_id = bootstrap, client_id
        self.linger_ms = linger_ms
        self.request_timeout = request_timeout
        self.publish_timeout = publish_timeout
        self.subscribe_timeout = subscribe_timeout
        self.instance_id = instance_id
        self.session_timeout = session_timeout
        self._producer: Any = None
        self._broken: str | None = None  # why the current producer cannot send, if so
        self._renewing = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()  # replaced clients being stopped
        self._subscriptions: set[KafkaSubscription] = set()

    def _new_producer(self) -> Any:
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            # Measured on the local broker (acks=all, idempotent): linger 0 ms gives
            # 0.7 ms per sequential send and ~60k msg/s for concurrent ones (sends
            # queued while a request is in flight share the next batch anyway);
            # 2 ms gives 4 ms and ~45k msg/s. A game event waits on each send.
            linger_ms=self.linger_ms,
            request_timeout_ms=int(self.request_timeout * 1000),
        )

    async def __aenter__(self) -> Self:
        """Start the producer; ``DependencyUnavailable`` if no broker answers."""
        producer = self._new_producer()
        try:
            async with asyncio.timeout(self.subscribe_timeout):
                await producer.start()
        except (*_DRIVER_ERRORS, TimeoutError) as exc:
            await _stop(producer, self.request_timeout, "producer")
            raise DependencyUnavailable(f"kafka at {self.bootstrap}: {exc!r}") from exc
        except BaseException:
            await _stop(producer, self.request_timeout, "producer")
            raise
        self._producer = producer
        if self.ensure_topics:
            try:
                await self._create_missing_topics()
            except BaseException:
                await _stop(producer, self.request_timeout, "producer")
                raise
        return self

    async def _create_missing_topics(self) -> None:
        """Create ``ensure_topics`` that do not exist yet (the broker may refuse to
        auto-create them), with ``topic_partitions`` partitions each."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap,
                                    request_timeout_ms=int(self.request_timeout * 1000))
        try:
            async with asyncio.timeout(self.subscribe_timeout):
                await admin.start()
                existing = set(await admin.list_topics())
                missing = [t for t in self.ensure_topics if t not in existing]
                if missing:
                    await admin.create_topics([NewTopic(t, self.topic_partitions, 1)
                                               for t in missing])
                    log.info("created kafka topics %s", missing)
        except TopicAlreadyExistsError:
            pass  # another process created it first
        except (*_DRIVER_ERRORS, TimeoutError) as exc:
            raise DependencyUnavailable(f"kafka topics at {self.bootstrap}: {exc!r}") from exc
        finally:
            await admin.close()

    async def __aexit__(self, *exc: object) -> None:
        """Close every subscription, then flush and stop the producer."""
        for subscription in list(self._subscriptions):
            await subscription.close()
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await _stop(producer, self.publish_timeout, "producer")
        for task in list(self._retiring):
            await task

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Send one message and wait until the broker has it (all in-sync replicas).

        ``DependencyUnavailable`` after :attr:`publish_timeout` means delivery was
        not confirmed, not that it will never happen: the idempotent producer keeps
        retrying the message (without duplicating it) for a while, so it may still
        arrive — or not, if the broker is away longer than the producer keeps it.
        Callers treat a failed publish as "maybe sent": what must arrive is sent
        again (consumers tolerate repeats: stable ids, idempotent commands)."""
        await self.publish_many(topic, [(key, value)])

    async def publish_many(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Hand all messages to the producer, then wait once for every ack: one
        round trip for a command's events instead of one per event. Same promise
        as :meth:`publish`. A producer found broken is replaced and the messages
        are sent once more on the new one (some may then arrive twice)."""
        accounting.bus_published(len(messages),
                                 sum(len(key) + len(value) for key, value in messages))
        try:
            async with asyncio.timeout(self.publish_timeout):
                for attempt in (1, 2):
                    producer = self._started()
                    try:
                        acks = [await producer.send(topic, value, key=key.encode())
                                for key, value in messages]
                        await asyncio.gather(*acks)
                        return
                    except _PRODUCER_BROKEN as exc:
                        await self._renew(producer, exc)
                        if attempt == 2 or self._broken is not None:
                            raise
        except (*_DRIVER_ERRORS, TimeoutError) as exc:
            raise DependencyUnavailable(f"kafka publish to {topic}: {exc!r}") from exc

    async def _renew(self, broken: Any, reason: BaseException | str) -> None:
        """Replace ``broken`` by a new producer, unless that was done already. On
        failure (no broker) the bus stays marked broken: ``ping`` says so and tries
        again, and so does the next send that fails the same way."""
        async with self._renewing:
            if self._producer is not broken:
                return  # another send renewed it meanwhile
            self._broken = f"{reason!r}"
            log.warning("kafka producer cannot send (%r); starting a new one", reason)
            producer = self._new_producer()
            try:
                async with asyncio.timeout(self.request_timeout * 2):
                    await producer.start()
            except (*_DRIVER_ERRORS, TimeoutError) as exc:
                log.warning("kafka producer not renewed yet: %r", exc)
                await _stop(producer, self.request_timeout, "producer")
                return
            self._producer, self._broken = producer, None
            metrics.PRODUCER_RENEWALS.inc()
            # The old producer's unsent batches fail with it; their callers resend.
            self._retire(broken, "old producer")

    def _retire(self, client: Any, what: str) -> None:
        """Stop a replaced producer or consumer in the background (``__aexit__``
        waits for it)."""
        task = asyncio.create_task(_stop(client, self.request_timeout, what))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def subscribe(self, topic: str, group: str) -> KafkaSubscription:
        """Join ``group`` on ``topic``. Returns once the group has given this member
        its partitions (possibly none, when the group has more members than the
        topic has partitions) and their start offsets are known, so a message
        published after this returns is received by the group."""
        self._started()
        listener = _HandOver()
        consumer = await self._join(topic, group, listener)
        subscription = KafkaSubscription(self, topic, group, consumer, listener)
        self._subscriptions.add(subscription)
        return subscription

    async def _join(self, topic: str, group: str, listener: _HandOver) -> Any:
        """A started consumer of ``topic`` in ``group`` (see :meth:`subscribe`), with
        ``listener`` told of each rebalance."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=group,
            group_instance_id=self.instance_id,
            enable_auto_commit=False,
            auto_offset_reset="latest" if group.startswith(LATEST_GROUP_PREFIX) else "earliest",
            # Members notice a rebalance at their next heartbeat: a short interval
            # keeps the pause of a rebalance short for every member.
            heartbeat_interval_ms=500,
            session_timeout_ms=int(self.session_timeout * 1000),
            rebalance_timeout_ms=10_000,
            # A JoinGroup request may wait a whole rebalance; give it more than that.
            request_timeout_ms=15_000,
            retry_backoff_ms=200,
        )
        consumer.subscribe([topic], listener=listener)  # the only way to give a listener
        try:
            async with asyncio.timeout(self.subscribe_timeout):
                await consumer.start()  # returns after the first assignment
                for partition in consumer.assignment():
                    await consumer.position(partition)
        except (*_DRIVER_ERRORS, TimeoutError) as exc:
            await _stop(consumer, self.request_timeout, "consumer")
            raise DependencyUnavailable(
                f"kafka subscribe {topic!r} as {group!r}: {exc!r}") from exc
        except BaseException:
            await _stop(consumer, self.request_timeout, "consumer")
            raise
        return consumer

    async def broker_answers(self) -> bool:
        """Whether the broker answers a metadata request now."""
        try:
            async with asyncio.timeout(self.request_timeout):
                await self._started().client.fetch_all_metadata()
        except (*_DRIVER_ERRORS, TimeoutError, DependencyUnavailable):
            return False
        return True

    async def ping(self) -> None:
        """``DependencyUnavailable`` unless the bus can do its work: the producer is
        not broken (a broken one is renewed here if it can be), the broker answers a
        metadata request, and every open subscription is fetching."""
        producer = self._started()
        if self._broken is not None:
            await self._renew(producer, self._broken)
            if self._broken is not None:
                raise DependencyUnavailable(f"kafka producer cannot send: {self._broken}")
        try:
            async with asyncio.timeout(self.request_timeout):
                await self._started().client.fetch_all_metadata()
        except (*_DRIVER_ERRORS, TimeoutError) as exc:
            raise DependencyUnavailable(f"kafka ping: {exc!r}") from exc
        now = time.monotonic()
        for subscription in self._subscriptions:
            stalled = subscription.stalled_for(now)
            if stalled > STALL_SECONDS:
                raise DependencyUnavailable(
                    f"kafka consumer of {subscription.name} has not fetched for "
                    f"{stalled:.0f} s")
            failing = subscription.commit_failing_for(now)
            if failing > COMMIT_STALL_SECONDS:
                raise DependencyUnavailable(
                    f"kafka consumer of {subscription.name} has not committed for "
                    f"{failing:.0f} s")

    def _started(self) -> Any:
        if self._producer is None:
            raise DependencyUnavailable("kafka bus is not started")
        return self._producer

    def _forget(self, subscription: KafkaSubscription) -> None:
        self._subscriptions.discard(subscription)


async def _stop(client: Any, seconds: float, what: str) -> None:
    """Stop an aiokafka producer or consumer, giving up after ``seconds``
    (with the broker gone a producer's final flush could otherwise wait long)."""
    try:
        async with asyncio.timeout(seconds):
            await client.stop()
    except (*_DRIVER_ERRORS, TimeoutError) as exc:
        log.warning("kafka %s did not stop cleanly: %r", what, exc)

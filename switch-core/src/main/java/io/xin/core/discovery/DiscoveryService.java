package io.xin.core.discovery;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.xin.core.concurrent.WorkerPools;
import io.xin.core.device.Frames;
import io.xin.core.device.Session;
import io.xin.protocol.pb.DiscoveryMatch;
import io.xin.protocol.pb.DiscoveryOp;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.DiscoveryResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.social.discovery.DiscoveryDirectory;
import io.xin.social.discovery.IndexedDiscoveryDirectory;
import io.xin.social.discovery.KeyRing;
import io.xin.social.discovery.RegistrationProofs;
import io.xin.social.discovery.Oprf;
import io.xin.social.discovery.OprfKey;
import io.xin.storage.XinStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Serves {@code DiscoveryRequest}s on a small pool of threads: the elliptic-curve work (about 220 microseconds of
 * CPU an element) never runs on an event loop or a journal thread. The event loop only checks a request's shape and
 * queues it ({@link #submit}); a discovery thread charges the rate limits, evaluates, looks up or registers, and
 * writes the answer to the session's channel.
 * <ul>
 *   <li>EVALUATE (key id 0 or the current one): each element costs a token of the account's and the device's
 *   buckets; answered with the elements multiplied by the current key, its id and the tokens left.</li>
 *   <li>MATCH (the current or, in its grace period, the previous key id): the registered tags' positions and
 *   users.</li>
 *   <li>REGISTER (the current key id): the requester's own tag; UNREGISTER: every registration of the requester.</li>
 * </ul>
 * A key id no longer served is answered {@code KEY_ROTATED}; an empty bucket {@code RATE_LIMITED} with the wait.
 * Nothing here logs an element, a tag or a number.
 * <p>
 * Thread-safe: {@link #submit} on any event loop, the rest on the discovery threads.
 */
public final class DiscoveryService implements DiscoveryRequests, AutoCloseable
{
    /** Requests queued per discovery thread before BUSY: at 500 elements each, about 7 s of work a thread. */
    static final int QUEUE_PER_THREAD = 64;
    private static final Logger LOG = LoggerFactory.getLogger(DiscoveryService.class);

    private final KeyRing keys;
    private final DiscoveryDirectory directory;
    private final DiscoveryLimiter limiter;
    private final LongSupplier nanoClock;
    /** Checks each registration's proof; null: a registration is the client's word. */
    private final RegistrationProofs proofs;
    /** Wall clock of the proofs' expiry, ms. */
    private final LongSupplier clockMs;
    private final int maxElements;
    private final int busyRetryAfterMs;
    private final ThreadPoolExecutor executor;
    private final int queueCapacity;
    /** Requests queued and not yet started: bounds the queue, which itself is unbounded and lock-free. */
    private final AtomicInteger queued = new AtomicInteger();
    private final LongAdder elementsEvaluated = new LongAdder();
    private final LongAdder tagsMatched = new LongAdder();
    private final LongAdder rateLimited = new LongAdder();
    private final LongAdder registrationsRefused = new LongAdder();

    /**
     * @param maxElements      elements (or tags) a request may carry.
     * @param threads          discovery threads, started now.
     * @param busyRetryAfterMs the retry_after_ms of a BUSY answer (queue full).
     * @param nanoClock        the clock of the rate limits ({@link System#nanoTime()} in a switch).
     * @param proofs           checks each registration's proof; null takes a registration on the client's word.
     * @param clockMs          the wall clock the proofs expire by.
     */
    public DiscoveryService(
        final KeyRing keys,
        final DiscoveryDirectory directory,
        final DiscoveryLimiter limiter,
        final int maxElements,
        final int threads,
        final int busyRetryAfterMs,
        final LongSupplier nanoClock,
        final RegistrationProofs proofs,
        final LongSupplier clockMs)
    {
        this.proofs = proofs;
        this.clockMs = clockMs;
        this.keys = keys;
        this.directory = directory;
        this.limiter = limiter;
        this.maxElements = maxElements;
        this.busyRetryAfterMs = busyRetryAfterMs;
        this.nanoClock = nanoClock;
        this.queueCapacity = QUEUE_PER_THREAD * threads;
        final AtomicInteger count = new AtomicInteger();
        // Event loops submit: LinkedTransferQueue offers without a lock, and with every thread started up front
        // the executor never takes its own (as the sync readers).
        this.executor = new ThreadPoolExecutor(
            threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedTransferQueue<>(),
            runnable -> new Thread(runnable, "xin-discovery-" + count.incrementAndGet()),
            new ThreadPoolExecutor.AbortPolicy());
        this.executor.prestartAllCoreThreads();
    }

    @Override
    public Frame submit(final Session session, final DiscoveryRequest request)
    {
        final String invalid = invalid(request, maxElements);
        if (invalid != null)
        {
            return Frames.error(request.getRequestId(), ErrorCode.BAD_REQUEST, invalid, false);
        }
        if (queued.incrementAndGet() > queueCapacity)
        {
            queued.decrementAndGet();
            return Frames.busy(request.getRequestId(), null, "discovery queue full", busyRetryAfterMs);
        }
        try
        {
            executor.execute(() ->
            {
                queued.decrementAndGet();
                serve(session, request);
            });
            return null;
        }
        catch (final RejectedExecutionException ex)
        {
            queued.decrementAndGet();
            return Frames.error(request.getRequestId(), ErrorCode.SHUTTING_DOWN, "switch stopping", false);
        }
    }

    private void serve(final Session session, final DiscoveryRequest request)
    {
        if (session.isClosed())
        {
            return;
        }
        Frame answer;
        try
        {
            answer = answer(session.userId(), session.deviceId(), request, nanoClock.getAsLong());
        }
        catch (final RuntimeException ex)
        {
            LOG.error("Discovery {} failed for {}", request.getOp(), session, ex);
            answer = Frames.error(request.getRequestId(), ErrorCode.INTERNAL, "discovery failed; retry later", false);
        }
        session.writeAndFlush(answer, false);
    }

    /**
     * The shape of a request, checked on the event loop: op, number and lengths of elements, key id.
     *
     * @return what is wrong, or null.
     */
    static String invalid(final DiscoveryRequest request, final int maxElements)
    {
        final int count = request.getElementsCount();
        return switch (request.getOp())
        {
            case DISCOVERY_EVALUATE -> count == 0 || count > maxElements ? "EVALUATE takes 1.." + maxElements +
                " elements" : lengths(request, Oprf.ELEMENT_LENGTH, "an element is a 33-byte compressed point");
            case DISCOVERY_MATCH -> count == 0 || count > maxElements ? "MATCH takes 1.." + maxElements + " tags" :
                request.getKeyId() == 0 ? "MATCH names the key id of its tags" :
                lengths(request, Oprf.TAG_LENGTH, "a tag is 16 bytes");
            case DISCOVERY_REGISTER -> count != 1 ? "REGISTER takes one tag" :
                request.getKeyId() == 0 ? "REGISTER names the key id of its tag" :
                lengths(request, Oprf.TAG_LENGTH, "a tag is 16 bytes");
            case DISCOVERY_UNREGISTER -> count != 0 ? "UNREGISTER takes no elements" : null;
            default -> "op must be EVALUATE, MATCH, REGISTER or UNREGISTER";
        };
    }

    private static String lengths(final DiscoveryRequest request, final int length, final String message)
    {
        for (int i = 0; i < request.getElementsCount(); i++)
        {
            if (request.getElements(i).size() != length)
            {
                return message;
            }
        }
        return null;
    }

    /**
     * The answer to one well-shaped request.
     */
    Frame answer(final long userId, final String deviceId, final DiscoveryRequest request, final long nowNs)
    {
        final long requestId = request.getRequestId();
        final OprfKey current = keys.current();
        final int keyId = request.getKeyId();
        switch (request.getOp())
        {
            case DISCOVERY_EVALUATE ->
            {
                if (keyId != 0 && keyId != current.id())
                {
                    return keyRotated(requestId, keyId);
                }
                final int count = request.getElementsCount();
                final DiscoveryLimiter.Refusal refusal = limiter.tryTake(userId, deviceId, count, nowNs);
                if (refusal != null)
                {
                    rateLimited.increment();
                    return Frames.error(requestId, ErrorCode.RATE_LIMITED, "more evaluations than the " +
                        (refusal.device() ? "device's" : "account's") + " budget", false, refusal.retryAfterMs());
                }
                final byte[][] evaluated;
                try
                {
                    evaluated = current.blindEvaluate(bytes(request));
                }
                catch (final IllegalArgumentException ex)
                {
                    return Frames.error(requestId, ErrorCode.BAD_REQUEST, ex.getMessage(), false);
                }
                elementsEvaluated.add(count);
                final DiscoveryResult.Builder result = result(request, current.id())
                    .setTokensLeft(limiter.available(userId, deviceId, nowNs));
                for (final byte[] element : evaluated)
                {
                    result.addElements(UnsafeByteOperations.unsafeWrap(element));
                }
                return Frame.newBuilder().setDiscoveryResult(result).build();
            }
            case DISCOVERY_MATCH ->
            {
                if (keys.served(keyId) == null)
                {
                    return keyRotated(requestId, keyId);
                }
                final DiscoveryResult.Builder result = result(request, keyId)
                    .setTokensLeft(limiter.available(userId, deviceId, nowNs));
                final DiscoveryMatch.Builder match = DiscoveryMatch.newBuilder();
                directory.match(keyId, bytes(request),
                    (index, matchedUserId) -> result.addMatches(match.setIndex(index).setUserId(matchedUserId)));
                tagsMatched.add(request.getElementsCount());
                return Frame.newBuilder().setDiscoveryResult(result).build();
            }
            case DISCOVERY_REGISTER ->
            {
                if (keyId != current.id())
                {
                    return keyRotated(requestId, keyId);
                }
                final byte[] tag = request.getElements(0).toByteArray();
                if (proofs != null && !proofs.verify(userId, keyId, tag, request.getProof().toByteArray(),
                    clockMs.getAsLong()))
                {
                    registrationsRefused.increment();
                    return Frames.error(requestId, ErrorCode.NOT_ALLOWED, "a registration needs a valid proof, " +
                        "for this user, key and tag, from the service that verified the number", false);
                }
                directory.register(keyId, tag, userId);
                return Frame.newBuilder().setDiscoveryResult(result(request, keyId)).build();
            }
            case DISCOVERY_UNREGISTER ->
            {
                directory.unregister(userId);
                return Frame.newBuilder().setDiscoveryResult(result(request, current.id())).build();
            }
            default ->
            {
                return Frames.error(requestId, ErrorCode.BAD_REQUEST, invalid(request, maxElements), false);
            }
        }
    }

    private static DiscoveryResult.Builder result(final DiscoveryRequest request, final int keyId)
    {
        return DiscoveryResult.newBuilder().setRequestId(request.getRequestId()).setOp(request.getOp())
            .setKeyId(keyId);
    }

    private Frame keyRotated(final long requestId, final int keyId)
    {
        return Frames.error(requestId, ErrorCode.KEY_ROTATED, "key " + Integer.toUnsignedString(keyId) +
            " is not served; evaluate again under key " + keys.current().id(), false);
    }

    private static List<byte[]> bytes(final DiscoveryRequest request)
    {
        final List<ByteString> elements = request.getElementsList();
        final List<byte[]> out = new ArrayList<>(elements.size());
        for (final ByteString element : elements)
        {
            out.add(element.toByteArray());
        }
        return out;
    }

    /**
     * Reads the key file, loads the directory of the served keys from the store (deleting the registrations of
     * retired keys) and starts the discovery threads.
     *
     * @throws IOException              when the key file cannot be read.
     * @throws IllegalArgumentException when it is not a valid key file (the message names what is wrong, never a
     *                                  seed).
     */
    public static DiscoveryService open(
        final Path keyFile,
        final XinStore store,
        final DiscoveryLimiter limiter,
        final int maxElements,
        final int threads,
        final int busyRetryAfterMs,
        final RegistrationProofs proofs,
        final LongSupplier clockMs) throws IOException
    {
        final KeyRing keys = KeyRing.load(keyFile);
        final long startNs = System.nanoTime();
        final IndexedDiscoveryDirectory directory = new IndexedDiscoveryDirectory(
            new StoreRegistrations(store.discoveryRegistrations()), keys.servedIds());
        LOG.info("Contact discovery on: {}, {} registrations in a {} MB index, loaded in {} ms", keys,
            registrations(directory, keys), directory.memoryBytes() >> 20,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        return new DiscoveryService(keys, directory, limiter, maxElements, threads, busyRetryAfterMs, System::nanoTime,
            proofs, clockMs);
    }

    private static long registrations(final IndexedDiscoveryDirectory directory, final KeyRing keys)
    {
        long count = 0;
        for (final int keyId : keys.servedIds())
        {
            count += directory.size(keyId);
        }
        return count;
    }

    public KeyRing keys()
    {
        return keys;
    }

    public DiscoveryLimiter limiter()
    {
        return limiter;
    }

    /** Blinded elements evaluated since start. */
    public long elementsEvaluated()
    {
        return elementsEvaluated.sum();
    }

    /** Tags looked up since start. */
    public long tagsMatched()
    {
        return tagsMatched.sum();
    }

    /** Evaluations refused for rate since start. */
    public long rateLimited()
    {
        return rateLimited.sum();
    }

    /** Registrations refused since start because their proof did not hold. */
    public long registrationsRefused()
    {
        return registrationsRefused.sum();
    }

    @Override
    public void close()
    {
        WorkerPools.stop(executor);
    }
}

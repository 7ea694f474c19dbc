package io.xin.loadgen.media;

import com.google.protobuf.ByteString;
import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.client.media.MediaClient;
import io.xin.client.media.MediaCrypto;
import io.xin.client.media.MediaDownloader;
import io.xin.client.media.MediaIntegrityException;
import io.xin.client.media.MediaSource;
import io.xin.client.media.MediaTransferException;
import io.xin.client.media.MediaUploader;
import io.xin.client.media.RetryPolicy;
import io.xin.loadgen.rate.OpenLoopSchedule;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.Session;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.UploadTicketResult;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The media half of the {@code media} scenario, beside a chat run on the same fleet: at an open-loop rate, a random
 * user uploads a file of the {@link SizeMix} (encrypted when asked), a share of the uploads through a proxy that
 * cuts the connection once mid-upload so that they resume, and sends it to a random other user, who downloads it
 * (the switch's URL, the blob checked against its key, decrypted). Measures uploads and downloads a second, MB/s,
 * resumes, and the latency of uploads (from their intended start, so a saturated pool shows) and downloads (from
 * the message's arrival). Transfers run on a pool of their own: never on the sessions' event loops.
 * <p>
 * A media message's body is {@code run_id(8 BE) | index(8 BE) | intended_ns(8 BE)}, so the chat run beside it
 * passes it here ({@link io.xin.loadgen.scenario.ChatRun#others}).
 */
public final class MediaRun implements Fleet.Sink
{
    /** Bytes of a media message's body. */
    static final int HEADER_BYTES = 24;
    /** Random bytes the files are cut from; each file gets its run and index stamped so no two dedupe. */
    private static final int POOL_BYTES = 16 * 1024 * 1024;
    private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A rough HTTP request head: a cut lands in the body, not before it. */
    private static final int REQUEST_HEAD_BYTES = 400;
    /** Retries of the run's transfers: quicker than a phone's, the target is on loopback. */
    private static final RetryPolicy RETRY = new RetryPolicy(6, Duration.ofMillis(50), Duration.ofSeconds(2));

    private final Fleet fleet;
    private final Settings settings;
    private final long runId = ThreadLocalRandom.current().nextLong();
    private final HttpClient http = MediaClient.newHttpClient();
    private final ExecutorService transfers;
    private final byte[] pool = new byte[POOL_BYTES];
    private final SizeMix sizes;
    /** Recorded by the transfer threads, wait-free; read once by {@link #finish}. */
    private final Recorder uploadRecorder = new Recorder(1, Measurements.HIGHEST_LATENCY_US, 3);
    private final Recorder downloadRecorder = new Recorder(1, Measurements.HIGHEST_LATENCY_US, 3);
    /** Owned by the thread calling {@link #finish}. */
    private final Histogram uploadTotal = new Histogram(1, Measurements.HIGHEST_LATENCY_US, 3);
    private final Histogram downloadTotal = new Histogram(1, Measurements.HIGHEST_LATENCY_US, 3);
    /** Counts, added to by the transfer threads and the sessions' event loops. */
    private final LongAdder uploads = new LongAdder();
    private final LongAdder uploadFailures = new LongAdder();
    private final LongAdder cutUploads = new LongAdder();
    private final LongAdder cuts = new LongAdder();
    private final LongAdder resumes = new LongAdder();
    private final LongAdder mediaSent = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final LongAdder downloads = new LongAdder();
    private final LongAdder downloadFailures = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder uploadsInWindow = new LongAdder();
    private final LongAdder downloadsInWindow = new LongAdder();
    private final LongAdder bytesInWindow = new LongAdder();
    private final LongAdder bytesUp = new LongAdder();
    private final LongAdder bytesDown = new LongAdder();
    private final Map<String, LongAdder> failureReasons = new ConcurrentHashMap<>();
    /** Indexes downloaded, to tell a second delivery of a media message. */
    private final Set<Long> downloaded = ConcurrentHashMap.newKeySet();
    /** Uploads and downloads scheduled and not finished. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** The measured window, set by {@link #start} before any transfer; read by every thread. */
    private volatile long measureFromNs = Long.MAX_VALUE;
    private volatile long measureToNs = Long.MAX_VALUE;
    /** Uploads the schedule made; written by the scheduling thread, read after it ended ({@link #finish}). */
    private long scheduled;
    /** The scheduling thread; set by {@link #start}, joined by {@link #finish}, both on the caller's thread. */
    private Thread scheduler;

    /**
     * @param fleet    connected sessions; the run receives their media messages through {@link #onMessage}.
     * @param settings rate, size mix, cuts, encryption.
     */
    public MediaRun(final Fleet fleet, final Settings settings)
    {
        if (fleet.size() < 2)
        {
            throw new IllegalArgumentException("media needs at least 2 users");
        }
        this.fleet = fleet;
        this.settings = settings;
        this.sizes = SizeMix.parse(settings.sizes);
        new SplittableRandom(settings.seed).nextBytes(pool);
        final AtomicInteger threads = new AtomicInteger();
        transfers = Executors.newFixedThreadPool(settings.transferThreads, task ->
        {
            final Thread thread = new Thread(task, "xin-loadgen-media-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts scheduling uploads, for the warm-up and the measured duration, on a thread of its own.
     */
    public void start()
    {
        final long startNs = System.nanoTime();
        final long warmupNs = TimeUnit.MILLISECONDS.toNanos(settings.warmupMs);
        final long totalNs = warmupNs + TimeUnit.MILLISECONDS.toNanos(settings.durationMs);
        measureFromNs = startNs + warmupNs;
        measureToNs = startNs + totalNs;
        final OpenLoopSchedule schedule = new OpenLoopSchedule(startNs, settings.uploadsPerSecond, totalNs);
        scheduler = new Thread(() -> schedule(schedule), "xin-loadgen-media-schedule");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    private void schedule(final OpenLoopSchedule schedule)
    {
        // The seed alone: runs with the same seed upload the same sizes, cut the same uploads, so they compare.
        final SplittableRandom random = new SplittableRandom(settings.seed);
        final long count = schedule.count();
        long index = 0;
        while (index < count)
        {
            final long nowNs = System.nanoTime();
            final long due = schedule.dueBy(nowNs);
            if (index >= due)
            {
                LockSupport.parkNanos(Math.min(MAX_PARK_NS, schedule.intendedNs(index) - nowNs));
                continue;
            }
            while (index < due)
            {
                final int sender = random.nextInt(fleet.size());
                int recipient = random.nextInt(fleet.size() - 1);
                recipient = recipient >= sender ? recipient + 1 : recipient;
                final long size = sizes.pick(random);
                final boolean cut = random.nextDouble() < settings.cutFraction;
                final double cutAt = 0.2 + 0.6 * random.nextDouble();
                final long taskIndex = index;
                final long intendedNs = schedule.intendedNs(index);
                final int to = recipient;
                inFlight.incrementAndGet();
                transfers.execute(() -> upload(taskIndex, intendedNs, sender, to, (int)size, cut ? cutAt : -1));
                index++;
            }
        }
        scheduled = count;
    }

    /** One upload and its message; on a transfer thread. */
    private void upload(
        final long index, final long intendedNs, final int sender, final int recipient, final int size,
        final double cutAt)
    {
        // The proxy of a cut upload, made at its first ticket.
        final CutOnceProxy[] proxy = new CutOnceProxy[1];
        try
        {
            final byte[] file = file(index, size);
            final byte[] key = settings.encrypt ? MediaCrypto.newKeyMaterial() : null;
            final byte[] blob = key != null ? MediaCrypto.encrypt(key, file) : file;
            final String contentType = SizeMix.contentType(size);
            final XinClient client = fleet.session(sender).client();
            MediaUploader.Tickets tickets = client::uploadTicket;
            if (cutAt >= 0)
            {
                cutUploads.increment();
                final long cutAfterBytes = REQUEST_HEAD_BYTES + (long)(blob.length * cutAt);
                tickets = (bytes, type, sha256, duration) -> client.uploadTicket(bytes, type, sha256, duration)
                    .thenApply(ticket -> throughProxy(ticket, proxy, cutAfterBytes));
            }
            final MediaUploader.Result result = uploader(tickets).upload(MediaSource.of(blob), contentType, 0, null);
            uploaded(index, intendedNs, recipient, client, contentType, key, result, proxy[0]);
        }
        catch (final Exception ex)
        {
            uploadFailures.increment();
            failed("upload: " + reason(ex));
            inFlight.decrementAndGet();
            if (ex instanceof InterruptedException)
            {
                Thread.currentThread().interrupt();
            }
        }
        finally
        {
            if (proxy[0] != null)
            {
                proxy[0].close();
            }
        }
    }

    private void uploaded(
        final long index, final long intendedNs, final int recipient, final XinClient client, final String contentType,
        final byte[] key, final MediaUploader.Result result, final CutOnceProxy proxy)
    {
        final long nowNs = System.nanoTime();
        uploads.increment();
        resumes.add(result.resumes());
        bytesUp.add(result.sizeBytes());
        if (proxy != null && proxy.cut())
        {
            cuts.increment();
        }
        if (intendedNs >= measureFromNs)
        {
            uploadRecorder.recordValue(Math.min(Measurements.HIGHEST_LATENCY_US, (nowNs - intendedNs) / 1_000));
        }
        if (inWindow(nowNs))
        {
            uploadsInWindow.increment();
            bytesInWindow.add(result.sizeBytes());
        }
        final MediaRef.Builder ref = MediaRef.newBuilder().setMimeType(contentType).setSizeBytes(result.sizeBytes())
            .setBlobKey(result.blobKey());
        if (key != null)
        {
            ref.setEncryptionKey(ByteString.copyFrom(key));
        }
        final byte[] body = ByteBuffer.allocate(HEADER_BYTES).putLong(runId).putLong(index).putLong(intendedNs).array();
        client.send(fleet.target().userId(recipient), Content.newBuilder()
            .setType(MediaClient.contentTypeOf(contentType))
            .setBody(ByteString.copyFrom(body))
            .setMedia(ref)
            .build())
            .whenComplete((ack, failure) ->
            {
                if (failure != null)
                {
                    sendFailures.increment();
                    failed("send: " + reason(failure));
                }
                else
                {
                    mediaSent.increment();
                }
                inFlight.decrementAndGet();
            });
    }

    @Override
    public void onMessage(final Session session, final Message message)
    {
        final ByteString body = message.getContent().getBody();
        if (message.getFromUserId() == session.userId() || !message.getContent().hasMedia() ||
            body.size() != HEADER_BYTES)
        {
            return;
        }
        final ByteBuffer header = body.asReadOnlyByteBuffer();
        if (header.getLong() != runId)
        {
            return;
        }
        final long index = header.getLong();
        final long receivedNs = System.nanoTime();
        if (!downloaded.add(index))
        {
            duplicates.increment();
            return;
        }
        inFlight.incrementAndGet();
        final MediaRef ref = message.getContent().getMedia();
        try
        {
            transfers.execute(() -> download(session, ref, receivedNs));
        }
        catch (final java.util.concurrent.RejectedExecutionException ex)
        {
            // The run is over: a message that came after the drain.
            inFlight.decrementAndGet();
        }
    }

    /** One download; on a transfer thread. */
    private void download(final Session session, final MediaRef ref, final long receivedNs)
    {
        try
        {
            final byte[] blob = new MediaDownloader(http, session.client()::mediaUrl,
                new MediaDownloader.Options(RETRY, 4, Duration.ofSeconds(30), Duration.ofSeconds(60))).download(ref);
            if (!ref.getEncryptionKey().isEmpty())
            {
                MediaCrypto.decrypt(ref.getEncryptionKey().toByteArray(), blob);
            }
            final long nowNs = System.nanoTime();
            downloads.increment();
            bytesDown.add(blob.length);
            if (receivedNs >= measureFromNs)
            {
                downloadRecorder.recordValue(Math.min(Measurements.HIGHEST_LATENCY_US, (nowNs - receivedNs) / 1_000));
            }
            if (inWindow(nowNs))
            {
                downloadsInWindow.increment();
                bytesInWindow.add(blob.length);
            }
        }
        catch (final MediaIntegrityException ex)
        {
            corrupt.increment();
            downloadFailures.increment();
            failed("download: " + reason(ex));
        }
        catch (final Exception ex)
        {
            downloadFailures.increment();
            failed("download: " + reason(ex));
            if (ex instanceof InterruptedException)
            {
                Thread.currentThread().interrupt();
            }
        }
        finally
        {
            inFlight.decrementAndGet();
        }
    }

    private MediaUploader uploader(final MediaUploader.Tickets tickets)
    {
        return new MediaUploader(http, tickets, MediaUploader.Options.DEFAULT.withRetry(RETRY));
    }

    /**
     * The ticket with its upload URL through a proxy that cuts the first connection once; one proxy per upload,
     * made at its first ticket, kept for the fresh ones.
     */
    private static UploadTicketResult throughProxy(
        final UploadTicketResult ticket, final CutOnceProxy[] proxy, final long cutAfterBytes)
    {
        if (ticket.getUploadUrl().isEmpty())
        {
            return ticket;
        }
        final URI url = URI.create(ticket.getUploadUrl());
        try
        {
            if (proxy[0] == null)
            {
                final int port = url.getPort() > 0 ? url.getPort() : "https".equals(url.getScheme()) ? 443 : 80;
                proxy[0] = new CutOnceProxy(url.getHost(), port, cutAfterBytes);
            }
            return ticket.toBuilder().setUploadUrl(new URI(url.getScheme(), null, "127.0.0.1", proxy[0].port(),
                url.getPath(), url.getQuery(), null).toString()).build();
        }
        catch (final IOException | java.net.URISyntaxException ex)
        {
            throw new IllegalStateException("no proxy for " + url, ex);
        }
    }

    /** A file of the run: bytes of the pool with the run and index stamped at its start, so none dedupes. */
    private byte[] file(final long index, final int size)
    {
        final byte[] file = new byte[size];
        int at = 0;
        int from = (int)Math.floorMod(index * 7_919L, (long)POOL_BYTES);
        while (at < size)
        {
            final int length = Math.min(size - at, POOL_BYTES - from);
            System.arraycopy(pool, from, file, at, length);
            at += length;
            from = 0;
        }
        final ByteBuffer stamp = ByteBuffer.wrap(file, 0, Math.min(size, 16));
        if (size >= 16)
        {
            stamp.putLong(runId).putLong(index);
        }
        return file;
    }

    private boolean inWindow(final long nowNs)
    {
        return nowNs >= measureFromNs && nowNs < measureToNs;
    }

    private void failed(final String reason)
    {
        failureReasons.computeIfAbsent(reason, ignore -> new LongAdder()).increment();
    }

    private static String reason(final Throwable failure)
    {
        Throwable cause = failure;
        while ((cause instanceof ExecutionException || cause instanceof java.util.concurrent.CompletionException) &&
            cause.getCause() != null)
        {
            cause = cause.getCause();
        }
        if (cause instanceof XinClientException client && client.code() != ErrorCode.ERROR_CODE_UNSPECIFIED)
        {
            return client.code().name();
        }
        if (cause instanceof MediaTransferException transfer && transfer.status() != 0)
        {
            return "HTTP " + transfer.status();
        }
        return cause.getClass().getSimpleName();
    }

    /**
     * Waits for the scheduling to end and for every transfer and message in flight, at most {@code drainMs}; then
     * stops the transfer threads.
     *
     * @param drainMs the longest wait after the last upload was scheduled.
     * @return what the run did.
     * @throws InterruptedException if interrupted.
     */
    public Outcome finish(final long drainMs) throws InterruptedException
    {
        scheduler.join();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMs);
        while (inFlight.get() > 0 && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(20);
        }
        final int unfinished = inFlight.get();
        transfers.shutdownNow();
        transfers.awaitTermination(5, TimeUnit.SECONDS);
        uploadTotal.add(uploadRecorder.getIntervalHistogram());
        downloadTotal.add(downloadRecorder.getIntervalHistogram());

        final Outcome outcome = new Outcome();
        final double windowS = (measureToNs - measureFromNs) / 1e9;
        outcome.scheduled = scheduled;
        outcome.uploads = uploads.sum();
        outcome.uploadFailures = uploadFailures.sum();
        outcome.cutUploads = cutUploads.sum();
        outcome.cuts = cuts.sum();
        outcome.resumes = resumes.sum();
        outcome.mediaSent = mediaSent.sum();
        outcome.sendFailures = sendFailures.sum();
        outcome.downloads = downloads.sum();
        outcome.downloadFailures = downloadFailures.sum();
        outcome.corrupt = corrupt.sum();
        outcome.duplicates = duplicates.sum();
        outcome.undownloaded = Math.max(0, outcome.mediaSent - outcome.downloads - outcome.downloadFailures);
        outcome.unfinished = unfinished;
        outcome.bytesUp = bytesUp.sum();
        outcome.bytesDown = bytesDown.sum();
        outcome.uploadsPerSecond = uploadsInWindow.sum() / windowS;
        outcome.downloadsPerSecond = downloadsInWindow.sum() / windowS;
        outcome.megabytesPerSecond = bytesInWindow.sum() / windowS / 1e6;
        outcome.uploadLatencyUs = uploadTotal;
        outcome.downloadLatencyUs = downloadTotal;
        failureReasons.forEach((reason, count) -> outcome.failureReasons.put(reason, count.sum()));
        return outcome;
    }

    /**
     * What to run.
     */
    public static final class Settings
    {
        /** Uploads a second, all users together. */
        public double uploadsPerSecond = 10;
        /** Sizes by weight; see {@link SizeMix}. */
        public String sizes = SizeMix.DEFAULT;
        /** Share of the uploads cut once mid-upload (and resumed). */
        public double cutFraction = 0.1;
        /** Encrypt each file end to end before it uploads; decrypt after download. */
        public boolean encrypt;
        /** Transfers at once. */
        public int transferThreads = 8;
        public long warmupMs;
        public long durationMs = 10_000;
        public long seed = 42;
    }

    /**
     * What a media run did.
     */
    public static final class Outcome
    {
        public long scheduled;
        public long uploads;
        public long uploadFailures;
        public long cutUploads;
        /** Uploads whose connection the proxy did cut (a small file may finish before its cut). */
        public long cuts;
        public long resumes;
        public long mediaSent;
        public long sendFailures;
        public long downloads;
        public long downloadFailures;
        /** Downloads whose bytes did not check out (hash or GCM tag). */
        public long corrupt;
        public long duplicates;
        /** Media messages acknowledged and never downloaded (not delivered, or still in flight at the end). */
        public long undownloaded;
        /** Transfers still in flight when the drain ended. */
        public int unfinished;
        public long bytesUp;
        public long bytesDown;
        /** In the measured window. */
        public double uploadsPerSecond;
        public double downloadsPerSecond;
        /** Upload plus download payload, in the measured window, 10^6 bytes a second. */
        public double megabytesPerSecond;
        public Histogram uploadLatencyUs;
        public Histogram downloadLatencyUs;
        public Map<String, Long> failureReasons = new TreeMap<>();
    }
}

package io.xin.bench.storage;

import io.xin.bench.Directories;
import io.xin.storage.DedupeRecord;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.InboxPage;
import io.xin.storage.JournalBatch;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import com.sun.management.OperatingSystemMXBean;

/**
 * How long a restart takes to replay a message log that RocksDB never received: a child process opens an
 * {@link XinStore} whose checkpoints never run (4 GiB of log between them, an hour apart), appends realistic 1:1
 * journal batches ({@value #BATCH} messages of {@value #MIN_MESSAGE_BYTES}-{@value #MAX_MESSAGE_BYTES} bytes
 * between {@value #USERS} users, each two inbox entries of one payload and a dedupe record) with
 * {@link XinStore#append} only, never {@link XinStore#apply}, up to the size asked for, and says so; this process
 * then kills it ({@code kill -9}: nothing is closed, flushed or checkpointed), times {@link XinStore#open}, which
 * replays the whole log into RocksDB, and checks a sample of the inbox entries and dedupe records the child
 * reported. The log is written with fsync {@code never}: a killed process's writes stay in the page cache, so the
 * replay reads the log from memory, as after a process crash, not a machine's.
 * <p>
 * Usage: {@code java -cp bench/target/benchmarks.jar io.xin.bench.storage.RecoveryTime [SIZE]}, SIZE in bytes
 * or with a suffix {@code KiB}, {@code MiB}, {@code GiB} (default 1 GiB). The data lives in a folder under
 * {@code java.io.tmpdir}, deleted at the end.
 */
public final class RecoveryTime
{
    private static final int BATCH = 32;
    private static final int MIN_MESSAGE_BYTES = 96;
    private static final int MAX_MESSAGE_BYTES = 200;
    private static final int USERS = 100_000;
    /** One message in this many is reported for the check after the replay. */
    private static final int SAMPLE_EVERY = 9_973;
    private static final long DEFAULT_BYTES = 1L << 30;
    private static final String WRITE_MODE = "--write";
    private static final String APPENDED = "APPENDED";
    private static final String SAMPLE = "SAMPLE";

    private RecoveryTime()
    {
    }

    /**
     * @param args {@code [SIZE]}; or, in the child, {@code --write DIR BYTES}.
     */
    public static void main(final String[] args) throws Exception
    {
        if (args.length == 3 && WRITE_MODE.equals(args[0]))
        {
            write(Path.of(args[1]), Long.parseLong(args[2]));
            return;
        }
        final long bytes = args.length > 0 ? parseSize(args[0]) : DEFAULT_BYTES;
        final Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "xin-recovery-time");
        try
        {
            measure(dir, bytes);
        }
        finally
        {
            Directories.deleteTree(dir);
        }
    }

    private static void measure(final Path dir, final long bytes) throws Exception
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process child = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
            RecoveryTime.class.getName(), WRITE_MODE, dir.toString(), Long.toString(bytes))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        final List<long[]> samples = new ArrayList<>();
        String appended = null;
        try
        {
            final BufferedReader lines = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
            String line;
            while (appended == null && (line = lines.readLine()) != null)
            {
                if (line.startsWith(SAMPLE))
                {
                    samples.add(Arrays.stream(line.substring(SAMPLE.length()).trim().split(" "))
                        .mapToLong(Long::parseLong).toArray());
                }
                else if (line.startsWith(APPENDED))
                {
                    appended = line;
                }
                else
                {
                    System.out.println("writer: " + line);
                }
            }
        }
        finally
        {
            // As a crash: no close, no flush, no checkpoint.
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        if (appended == null)
        {
            throw new IllegalStateException("the writer stopped before it had appended; exit " + child.exitValue());
        }
        System.out.println("writer: " + appended + "; killed (exit " + child.exitValue() + ")");

        final OperatingSystemMXBean os = (OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
        final long cpuStartNs = os.getProcessCpuTime();
        final long startNs = System.nanoTime();
        try (XinStore store = XinStore.open(config(dir)))
        {
            final long openNs = System.nanoTime() - startNs;
            final long cpuNs = os.getProcessCpuTime() - cpuStartNs;
            final long replayedBytes = store.logBytesReplayedAtOpen();
            final long entries = store.logEntriesReplayedAtOpen();
            final double seconds = openNs / 1e9;
            System.out.printf(Locale.ROOT, "log replayed at open: %,d bytes (%.1f MiB) in %,d entries (%,d messages)%n",
                replayedBytes, replayedBytes / 1048576.0, entries, entries * BATCH);
            System.out.printf(Locale.ROOT, "open: %,d ms wall (%,d ms of it the replay, as the store counts it), " +
                "%.1f MB/s, %.2f µs per message; process CPU %,d ms (%.2f cores)%n",
                TimeUnit.NANOSECONDS.toMillis(openNs), store.logReplayMillisAtOpen(), replayedBytes / 1e6 / seconds,
                openNs / 1e3 / Math.max(1, entries * BATCH), TimeUnit.NANOSECONDS.toMillis(cpuNs),
                cpuNs / (double)openNs);
            System.out.printf(Locale.ROOT, "log left after open: %,d bytes, %,d to checkpoint%n",
                store.logSizeBytes(), store.logUncheckpointedBytes());
            verify(store, samples);
        }
    }

    /** Checks each sample's inbox entries (the sender's and the recipient's) and dedupe record. */
    private static void verify(final XinStore store, final List<long[]> samples)
    {
        int checked = 0;
        for (final long[] sample : samples)
        {
            final long msgId = sample[0];
            final long sender = sample[1];
            final long senderSeq = sample[2];
            final long recipient = sample[3];
            final long recipientSeq = sample[4];
            final byte[] expected = message(msgId);
            checkInbox(store, sender, senderSeq, expected, msgId);
            checkInbox(store, recipient, recipientSeq, expected, msgId);
            final DedupeRecord record = store.readDedupe(sender, clientMsgId(msgId));
            if (record == null || record.msgId() != msgId || record.senderSeq() != senderSeq)
            {
                throw new IllegalStateException("dedupe record of message " + msgId + " missing or wrong: " + record);
            }
            checked++;
        }
        if (checked == 0)
        {
            throw new IllegalStateException("no samples to check");
        }
        System.out.printf(Locale.ROOT, "verified: %,d sampled messages, their %,d inbox entries and dedupe records%n",
            checked, 2 * checked);
    }

    private static void checkInbox(
        final XinStore store, final long userId, final long seq, final byte[] expected, final long msgId)
    {
        final InboxPage page = store.readInbox(userId, seq - 1, 1, MAX_MESSAGE_BYTES);
        if (page.entries().isEmpty() || page.entries().get(0).seq() != seq ||
            !Arrays.equals(page.entries().get(0).message(), expected))
        {
            throw new IllegalStateException("inbox entry " + userId + "/" + seq + " of message " + msgId +
                " missing or wrong after the replay");
        }
    }

    /** The child: appends batches until the log holds {@code bytes}, reports, and waits to be killed. */
    private static void write(final Path dir, final long bytes) throws Exception
    {
        final XinStore store = XinStore.open(config(dir));
        final JournalBatch batch = store.newBatch();
        final long[] seqs = new long[USERS + 1];
        final byte[] message = new byte[MAX_MESSAGE_BYTES];
        long random = 0x9E3779B97F4A7C15L;
        long msgId = 0;
        long entries = 0;
        long position = 0;
        final long startNs = System.nanoTime();
        while (position < bytes)
        {
            for (int i = 0; i < BATCH; i++)
            {
                random = xorshift(random);
                final long sender = 1 + (random >>> 1) % USERS;
                random = xorshift(random);
                final long recipient = 1 + (random >>> 1) % USERS;
                msgId++;
                final int length = message(msgId, message);
                final ByteBuffer value = batch.valueBuffer(message, length);
                final long senderSeq = ++seqs[(int)sender];
                final long recipientSeq = ++seqs[(int)recipient];
                batch.putInbox(sender, senderSeq, value);
                batch.putInbox(recipient, recipientSeq, value);
                batch.putDedupe(sender, clientMsgId(msgId), msgId, senderSeq, msgId);
                if (msgId % SAMPLE_EVERY == 0)
                {
                    System.out.println(SAMPLE + " " + msgId + " " + sender + " " + senderSeq + " " + recipient + " " +
                        recipientSeq);
                }
            }
            position = store.append(batch);
            // Never applied: a crash before RocksDB received anything. Clearing lets the batch be filled again.
            batch.clear();
            entries++;
        }
        final long ns = System.nanoTime() - startNs;
        System.out.printf(Locale.ROOT, "%s %,d bytes, %,d entries, %,d messages in %,d ms (%.0f MB/s)%n", APPENDED,
            position, entries, msgId, TimeUnit.NANOSECONDS.toMillis(ns), position / 1e6 / (ns / 1e9));
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(10));
        // Killed before this: a writer still alive at the end is not the crash measured.
        System.exit(1);
    }

    private static StoreConfig config(final Path dir)
    {
        return new StoreConfig().dataDir(dir).fsyncPolicy(FsyncPolicy.NEVER)
            .logCheckpointBytes(4L << 30).logCheckpointIntervalMs(TimeUnit.HOURS.toMillis(1));
    }

    /** The bytes of message {@code msgId}, made again from its id for the check. */
    private static byte[] message(final long msgId)
    {
        final byte[] bytes = new byte[MAX_MESSAGE_BYTES];
        return Arrays.copyOf(bytes, message(msgId, bytes));
    }

    /** Writes message {@code msgId}'s bytes, random and of a length in the range, into {@code into}. */
    private static int message(final long msgId, final byte[] into)
    {
        long random = xorshift(msgId * 0x9E3779B97F4A7C15L | 1);
        final int length = MIN_MESSAGE_BYTES + (int)((random >>> 1) % (MAX_MESSAGE_BYTES - MIN_MESSAGE_BYTES + 1));
        for (int i = 0; i < length; i += Long.BYTES)
        {
            random = xorshift(random);
            for (int b = 0; b < Long.BYTES && i + b < length; b++)
            {
                into[i + b] = (byte)(random >>> (8 * b));
            }
        }
        return length;
    }

    private static byte[] clientMsgId(final long msgId)
    {
        return ("c-" + msgId).getBytes(StandardCharsets.US_ASCII);
    }

    private static long xorshift(final long state)
    {
        long x = state;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }

    /** Bytes, or a number followed by KiB, MiB or GiB. */
    static long parseSize(final String size)
    {
        final String s = size.trim().toLowerCase(Locale.ROOT);
        final long unit;
        final String number;
        if (s.endsWith("gib") || s.endsWith("g"))
        {
            unit = 1L << 30;
            number = s.substring(0, s.indexOf('g'));
        }
        else if (s.endsWith("mib") || s.endsWith("m"))
        {
            unit = 1L << 20;
            number = s.substring(0, s.indexOf('m'));
        }
        else if (s.endsWith("kib") || s.endsWith("k"))
        {
            unit = 1L << 10;
            number = s.substring(0, s.indexOf('k'));
        }
        else
        {
            unit = 1;
            number = s;
        }
        return Long.parseLong(number.trim()) * unit;
    }
}

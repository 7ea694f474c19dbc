package io.xin.server.media;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.xin.core.Configuration;
import io.xin.core.ConfigurationException;
import io.xin.core.Setting;
import io.xin.core.XinSwitch;
import io.xin.core.media.MediaKeys;
import io.xin.core.status.SwitchCounters;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaCollector;
import io.xin.media.MediaLimits;
import io.xin.media.MediaStore;
import io.xin.media.http.MediaHttpConfig;
import io.xin.media.http.MediaHttpServer;
import io.xin.media.s3.S3MediaStore;
import io.xin.media.s3.S3StoreConfig;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The daemon's media, beside the switch: the media store (local in {@code media-dir}, or an S3 bucket), the keys,
 * the media HTTP server clients upload to and download from, and the collector of expired uploads and of blobs no
 * live message references. {@link #start} opens them from the {@code media-*} settings and turns media on in the
 * switch's context; {@link #collectEvery} schedules the collector once the switch runs; {@link #close()} stops them
 * after the switch has stopped.
 * <p>
 * Threads: the HTTP server's own event loop and file threads, and one collector thread; the switch's media requests
 * run on the switch's media threads. Start and close from one thread.
 */
public final class DaemonMedia implements AutoCloseable
{
    /** The collector's first run waits this long after the start, so a restart is not slowed by it. */
    public static final Duration FIRST_COLLECTION = Duration.ofMinutes(1);
    /** How often the collector runs on a local store: blobs live days, so minutes of lateness cost nothing. */
    public static final Duration COLLECTION_INTERVAL = Duration.ofMinutes(10);
    /** The first run on an object store: its listing reads every blob's record, one request each. */
    public static final Duration FIRST_S3_COLLECTION = Duration.ofHours(1);
    /** How often the collector runs on an object store: daily, for the same reason. */
    public static final Duration S3_COLLECTION_INTERVAL = Duration.ofDays(1);
    /** The key file's name in the media directory when {@code media-signing-key} is not set. */
    public static final String DEFAULT_KEY_FILE = "signing.key";
    /** The spool directory's name in the data directory for an S3 store when {@code media-dir} is not set. */
    public static final String DEFAULT_SPOOL_DIR = "media";
    /** With no retention set, messages are kept for ever: a blob is never past it (a millennium stands for it). */
    private static final Duration FOREVER = Duration.ofDays(365L * 1000);

    private static final Logger LOG = LoggerFactory.getLogger(DaemonMedia.class);

    /**
     * The daemon's media settings, as read from the registry or given by an embedding program.
     *
     * @param store           {@code local} or {@code s3}.
     * @param dir             the local store's directory; with s3 the spool of uploads in progress; may be null
     *                        with s3 (then {@code dataDir/media}).
     * @param dataDir         the switch's data directory.
     * @param bindHost        the HTTP server's address.
     * @param port            its port; 0 for a free one.
     * @param signingKey      the key file; null for {@value #DEFAULT_KEY_FILE} in the media directory, made at the
     *                        first start.
     * @param s3Endpoint      S3 endpoint URL.
     * @param s3Region        S3 signing region.
     * @param s3Bucket        S3 bucket.
     * @param s3AccessKeyFile file with the access key id.
     * @param s3SecretKeyFile file with the secret access key.
     * @param s3PathStyle     path-style bucket addressing.
     */
    public record Options(
        String store,
        Path dir,
        Path dataDir,
        String bindHost,
        int port,
        Path signingKey,
        String s3Endpoint,
        String s3Region,
        String s3Bucket,
        Path s3AccessKeyFile,
        Path s3SecretKeyFile,
        boolean s3PathStyle)
    {
        /**
         * @param values a setting's value (the daemon's parsed flags, environment and config file).
         * @return the media settings among them.
         */
        public static Options of(final Function<Setting, Object> values)
        {
            return new Options(
                ((String)values.apply(Setting.MEDIA_STORE)).toLowerCase(Locale.ROOT),
                (Path)values.apply(Setting.MEDIA_DIR),
                (Path)values.apply(Setting.DATA_DIR),
                (String)values.apply(Setting.MEDIA_BIND_HOST),
                (Integer)values.apply(Setting.MEDIA_PORT),
                (Path)values.apply(Setting.MEDIA_SIGNING_KEY),
                (String)values.apply(Setting.MEDIA_S3_ENDPOINT),
                (String)values.apply(Setting.MEDIA_S3_REGION),
                (String)values.apply(Setting.MEDIA_S3_BUCKET),
                (Path)values.apply(Setting.MEDIA_S3_ACCESS_KEY_FILE),
                (Path)values.apply(Setting.MEDIA_S3_SECRET_KEY_FILE),
                (Boolean)values.apply(Setting.MEDIA_S3_PATH_STYLE));
        }

        /**
         * A local store in a directory, its HTTP server on an address and port: what an embedding program (a demo)
         * needs.
         *
         * @param dir      the store's directory; the key file is made in it.
         * @param bindHost the HTTP server's address, not a wildcard (the public URL is made of it).
         * @param port     the HTTP server's port, 0 for a free one.
         * @return the options.
         */
        public static Options local(final Path dir, final String bindHost, final int port)
        {
            return new Options(Configuration.MEDIA_STORE_LOCAL, dir, dir, bindHost, port, null, null,
                Configuration.DEFAULT_MEDIA_S3_REGION, null, null, null, true);
        }

        /**
         * @return true when these settings turn media on: a media directory, or the s3 store.
         */
        public boolean on()
        {
            return dir != null || Configuration.MEDIA_STORE_S3.equals(store);
        }

        /** Where the key file and, for s3, uploads in progress live. */
        Path mediaDir()
        {
            return dir != null ? dir : dataDir.resolve(DEFAULT_SPOOL_DIR);
        }
    }

    private final MediaStore store;
    private final MediaHttpServer http;
    private final String publicUrl;
    private final Clock clock;
    /** Whether the store is an object store, which the collector visits less often. */
    private final boolean objectStore;
    /** Runs the collector; null until {@link #collectEvery}. */
    private ScheduledExecutorService collector;

    private DaemonMedia(
        final MediaStore store,
        final MediaHttpServer http,
        final String publicUrl,
        final Clock clock,
        final boolean objectStore)
    {
        this.store = store;
        this.http = http;
        this.publicUrl = publicUrl;
        this.clock = clock;
        this.objectStore = objectStore;
    }

    /**
     * Why these settings cannot serve media on a node of a cluster, or null when they can. Every node checks a
     * reference against, and signs a download from, the store it has: so the nodes share one object store bucket
     * (the local store is one node's disk), and one key file (a token stamped by one node is checked by another).
     *
     * @param options the media settings of a node of a cluster.
     * @return the refusal, or null.
     */
    public static String clusterRefusal(final Options options)
    {
        if (!options.on())
        {
            return null;
        }
        if (!Configuration.MEDIA_STORE_S3.equals(options.store()))
        {
            return "the local media store is one node's disk: a cluster serves media from a bucket its nodes " +
                "share (media-store = s3), or leave media-dir unset";
        }
        if (options.signingKey() == null)
        {
            return "every node of a cluster checks the tokens and URLs the others signed: set media-signing-key " +
                "to a key file all nodes share";
        }
        return null;
    }

    /**
     * Opens the store and the keys, starts the HTTP server and turns media on in {@code ctx}: its store, keys and,
     * unless set, its public URL ({@code http[s]://media-bind-host:port}). Call after the context's other settings
     * are set (the store takes its limits from them) and before the switch launches.
     *
     * @param options the media settings.
     * @param ctx     the switch's context.
     * @return the running media, or null when the settings leave media off.
     * @throws ConfigurationException naming the setting that stops media from starting.
     * @throws IllegalStateException  if the store or the HTTP server cannot start.
     */
    public static DaemonMedia start(final Options options, final XinSwitch.Context ctx)
    {
        if (!options.on())
        {
            return null;
        }
        final Clock clock = Clock.systemUTC();
        final MediaLimits limits = ctx.mediaLimits();
        final String publicUrl = ctx.mediaPublicUrl();
        if ((publicUrl == null || publicUrl.isBlank()) && isWildcard(options.bindHost()))
        {
            throw new ConfigurationException(Setting.MEDIA_PUBLIC_URL, "mediaPublicUrl must be set when " +
                "mediaBindHost is a wildcard address (" + options.bindHost() + "): the URL clients upload to");
        }
        final List<AutoCloseable> opened = new ArrayList<>();
        try
        {
            final Path mediaDir = options.mediaDir();
            final MediaKeys keys = keys(options, mediaDir);
            final MediaStore store = openStore(options, mediaDir, limits, clock);
            opened.add(store);
            final MediaHttpServer http = new MediaHttpServer(store, keys.signedUrls(clock),
                MediaHttpConfig.builder(options.bindHost(), options.port())
                    .maxChunkBytes(ctx.mediaMaxChunkBytes())
                    .maxUploadBytes(MediaHttpConfig.largest(limits))
                    .sslContext(sslContext(ctx))
                    .clock(clock)
                    .build());
            http.start();
            opened.add(http);
            final String scheme = ctx.tlsCertFile() == null ? "http://" : "https://";
            final String url = publicUrl == null || publicUrl.isBlank() ?
                scheme + hostInUrl(options.bindHost()) + ":" + http.port() : publicUrl;
            ctx.media(store, keys).mediaPublicUrl(url);
            LOG.info("Media: {} store{}, HTTP on {}:{}, public URL {}, keys {}", options.store(),
                Configuration.MEDIA_STORE_LOCAL.equals(options.store()) ? " in " + mediaDir : " " + options.s3Bucket(),
                options.bindHost(), http.port(), url, keys.ids());
            return new DaemonMedia(store, http, url, clock, Configuration.MEDIA_STORE_S3.equals(options.store()));
        }
        catch (final RuntimeException ex)
        {
            Collections.reverse(opened);
            CloseHelper.quietCloseAll(opened);
            throw ex;
        }
    }

    /**
     * Runs the collector every {@link #COLLECTION_INTERVAL} on a thread of its own, from {@link #FIRST_COLLECTION}
     * after now (an object store: {@link #S3_COLLECTION_INTERVAL} from {@link #FIRST_S3_COLLECTION}): expired
     * uploads, and blobs last referenced longer ago than the retention plus the upload lifetime. What it removes is
     * counted in the switch's {@code mediaCollected}.
     *
     * @param xin the running switch.
     */
    public void collectEvery(final XinSwitch xin)
    {
        final XinSwitch.Context ctx = xin.context();
        final MediaCollector mediaCollector = new MediaCollector(store, clock,
            ctx.retentionSeconds() == 0 ? FOREVER : Duration.ofSeconds(ctx.retentionSeconds()),
            Duration.ofSeconds(ctx.mediaUploadLifetimeSeconds()));
        final SwitchCounters counters = xin.counters();
        collector = Executors.newSingleThreadScheduledExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "xin-media-collector");
            thread.setDaemon(true);
            return thread;
        });
        final Duration first = objectStore ? FIRST_S3_COLLECTION : FIRST_COLLECTION;
        final Duration interval = objectStore ? S3_COLLECTION_INTERVAL : COLLECTION_INTERVAL;
        collector.scheduleWithFixedDelay(() -> collect(mediaCollector, counters), first.toMillis(),
            interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One run of the collector; a failure is logged and the next run tries again. */
    static int collect(final MediaCollector collector, final SwitchCounters counters)
    {
        try
        {
            final int removed = collector.runOnce();
            counters.mediaCollected.add(removed);
            if (removed > 0)
            {
                LOG.info("Media collector removed {} expired uploads and unreferenced blobs", removed);
            }
            return removed;
        }
        catch (final RuntimeException ex)
        {
            counters.mediaStoreFailures.increment();
            LOG.warn("Media collector failed; its next run tries again: {}", ex.toString());
            return 0;
        }
    }

    /**
     * @return the media store.
     */
    public MediaStore store()
    {
        return store;
    }

    /**
     * @return the HTTP server's bound port.
     */
    public int port()
    {
        return http.port();
    }

    /**
     * @return connections open now to the HTTP server.
     */
    public int openConnections()
    {
        return http.openConnections();
    }

    /**
     * @return connections the HTTP server refused over its limit, since the start.
     */
    public long refusedConnections()
    {
        return http.refusedConnections();
    }

    /**
     * @return requests that failed inside the HTTP server, since the start.
     */
    public long failures()
    {
        return http.failures();
    }

    /**
     * @return the base URL clients are given.
     */
    public String publicUrl()
    {
        return publicUrl;
    }

    /**
     * Stops the collector and the HTTP server, then closes the store. Call after the switch has stopped.
     */
    @Override
    public void close()
    {
        if (collector != null)
        {
            collector.shutdownNow();
            try
            {
                collector.awaitTermination(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        CloseHelper.closeAll(ex -> LOG.warn("Error while stopping media", ex), http, store);
    }

    private static MediaKeys keys(final Options options, final Path mediaDir)
    {
        final Path file = options.signingKey();
        try
        {
            if (file != null)
            {
                return MediaKeys.read(file);
            }
            Files.createDirectories(mediaDir);
            return MediaKeys.readOrCreate(mediaDir.resolve(DEFAULT_KEY_FILE));
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new ConfigurationException(Setting.MEDIA_SIGNING_KEY, "mediaSigningKey: cannot read keys from " +
                (file != null ? file : mediaDir.resolve(DEFAULT_KEY_FILE)) + ": " + ex.getMessage());
        }
    }

    private static MediaStore openStore(
        final Options options, final Path mediaDir, final MediaLimits limits, final Clock clock)
    {
        if (Configuration.MEDIA_STORE_LOCAL.equals(options.store()))
        {
            return LocalMediaStore.open(mediaDir, limits, clock);
        }
        require(options.s3Endpoint(), Setting.MEDIA_S3_ENDPOINT);
        require(options.s3Bucket(), Setting.MEDIA_S3_BUCKET);
        final S3StoreConfig config;
        try
        {
            Files.createDirectories(mediaDir);
            config = new S3StoreConfig(URI.create(options.s3Endpoint()), options.s3Region(), options.s3Bucket(),
                firstLine(options.s3AccessKeyFile(), Setting.MEDIA_S3_ACCESS_KEY_FILE),
                firstLine(options.s3SecretKeyFile(), Setting.MEDIA_S3_SECRET_KEY_FILE),
                options.s3PathStyle(), mediaDir, S3StoreConfig.DEFAULT_PART_SIZE_BYTES);
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new ConfigurationException(Setting.MEDIA_S3_ENDPOINT, "media-store s3: " + ex.getMessage());
        }
        return new S3MediaStore(config, limits, clock);
    }

    private static void require(final String value, final Setting setting)
    {
        if (value == null || value.isBlank())
        {
            throw new ConfigurationException(setting, setting.contextName() + " must be set with media-store s3");
        }
    }

    private static String firstLine(final Path file, final Setting setting)
    {
        if (file == null)
        {
            throw new ConfigurationException(setting, setting.contextName() + " must be set with media-store s3");
        }
        try
        {
            final String line = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(text -> !text.isEmpty()).findFirst().orElse("");
            if (line.isEmpty())
            {
                throw new ConfigurationException(setting, setting.contextName() + ": " + file + " is empty");
            }
            return line;
        }
        catch (final IOException ex)
        {
            throw new ConfigurationException(setting, setting.contextName() + ": cannot read " + file + ": " + ex);
        }
    }

    /** The switch's certificate for the media server too, when the client ports have TLS. */
    private static SslContext sslContext(final XinSwitch.Context ctx)
    {
        if (ctx.tlsCertFile() == null)
        {
            return null;
        }
        try
        {
            return SslContextBuilder.forServer(ctx.tlsCertFile().toFile(), ctx.tlsKeyFile().toFile()).build();
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new ConfigurationException(Setting.TLS_CERT, "tlsCertFile: the media server cannot use it: " +
                ex.getMessage());
        }
    }

    private static boolean isWildcard(final String host)
    {
        try
        {
            return InetAddress.getByName(host).isAnyLocalAddress();
        }
        catch (final UnknownHostException ex)
        {
            return false;
        }
    }

    private static String hostInUrl(final String host)
    {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}

package io.xin.core.admin;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.xin.core.BuildInfo;
import io.xin.core.XinSwitch;
import io.xin.core.net.ServerTls;
import io.xin.core.status.JournalBatchObserver;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.storage.StorageException;
import io.xin.storage.XinStore;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleConsumer;
import java.util.function.DoubleSupplier;

/**
 * The switch's Prometheus metrics. Counters and gauges are callbacks that read the switch's
 * {@code LongAdder}s when scraped, so the hot path pays nothing for them; the two histograms are
 * recorded once per journal batch, on the journal thread.
 */
public final class SwitchMetrics implements JournalBatchObserver
{
    private static final double NANOS_PER_SECOND = 1e9;
    private static final double MICROS_PER_SECOND = 1e6;
    /** RocksDB's compaction statistics count in GB of 2^30 bytes. */
    private static final double BYTES_PER_GIB = 1024.0 * 1024 * 1024;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram batchEvents;
    private final Histogram writeSeconds;

    /**
     * Registers every series of {@code xin} and of the JVM in a registry of its own.
     *
     * @param xin the running switch.
     */
    public SwitchMetrics(final XinSwitch xin)
    {
        final SwitchCounters c = xin.counters();
        final SwitchStatus status = xin.status();

        Info.builder().name("xin_build_info").help("The version and git commit of this build; always 1.")
            .labelNames("version", "commit").register(registry).setLabelValues(BuildInfo.version(), BuildInfo.commit());
        gauge("xin_sessions_open", "Client connections open, logged in or not.", c.sessionsOpen::get);
        counter("xin_connections_accepted", "Client connections accepted.", c.connectionsAccepted);
        CounterWithCallback.builder().name("xin_connections_refused")
            .help("Connections refused: by the address guard at accept (too_many_connections, connecting_too_fast, " +
                "failed_logins) or at login for a device that logs in too often (flapping).")
            .labelNames("reason")
            .callback(cb ->
            {
                cb.call(c.connectionsRefusedTooMany.sum(), "too_many_connections");
                cb.call(c.connectionsRefusedTooFast.sum(), "connecting_too_fast");
                cb.call(c.connectionsRefusedFailedLogins.sum(), "failed_logins");
                cb.call(c.loginsBanned.sum(), "flapping");
            })
            .register(registry);
        counter("xin_rate_limited_sends", "Sends refused with RATE_LIMITED.", c.rateLimitedSends);
        counter("xin_rate_limited_sessions_closed", "Sessions closed for sending on into the rate limit.",
            c.rateLimitedSessionsClosed);
        counter("xin_logins", "Logins accepted.", c.loginsSucceeded);
        counter("xin_login_failures", "Logins refused (bad token, draining, busy, storage failed, bad request).",
            c.loginsFailed);
        counter("xin_login_timeouts", "Connections closed for sending no Login in time.", c.loginTimeouts);
        counter("xin_sessions_kicked", "Sessions replaced by a newer login of the same device.", c.sessionsKicked);
        counter("xin_sessions_idle_closed", "Sessions closed after the idle timeout.", c.idleClosed);
        gauge("xin_sessions_parked", "Idle sessions parked now: their socket kept without a Netty channel.",
            c.sessionsParked::get);
        counter("xin_session_parks", "Times an idle session parked.", c.sessionParks);
        counter("xin_session_wakes", "Times a parked session woke (bytes from the client, a frame to it, a timer).",
            c.sessionWakes);
        counter("xin_frames_in", "Frames received from clients.", c.framesIn);
        counter("xin_frames_out", "Frames written to clients.", c.framesOut);
        counter("xin_bad_frames", "Malformed or oversize frames (connection closed).", c.badFrames);
        counter("xin_messages_stored", "Messages written to the store (new sends, not resends).", c.messagesStored);
        counter("xin_duplicate_sends", "Sends recognised as resends of a stored message.", c.duplicateSends);
        counter("xin_pushes_sent", "Deliver frames written to online devices.", c.pushesSent);
        counter("xin_pushes_dropped", "Pushes dropped for a slow device (it is told to sync).", c.pushesDropped);
        counter("xin_busy_rejections", "Requests refused with BUSY (ring, in-flight or sync queue full).",
            c.busyRejections);
        counter("xin_syncs_served", "Sync pages served.", c.syncsServed);
        counter("xin_cursors_advanced", "Device cursors written.", c.cursorsAdvanced);
        counter("xin_journal_batches", "Journal batches written to RocksDB.", c.journalBatches);
        gauge("xin_journal_max_batch_events", "Largest journal batch since start, in ring events.",
            c.journalMaxBatchEvents::get);
        counter("xin_storage_failures", "Failed journal writes or reads.", c.storageFailures);
        gauge("xin_storage_failed", "1 once storage failed: no more acks until restart.",
            () -> status.isStorageFailed() ? 1 : 0);
        gauge("xin_draining", "1 while the switch drains for a stop.", () -> status.isDraining() ? 1 : 0);
        gauge("xin_ready", "1 when taking new sessions (what /readyz says).", () -> xin.isReady() ? 1 : 0);
        gauge("xin_ring_occupancy", "Ring slots holding events not yet handled by the dispatcher.",
            xin::ringOccupancy);
        gauge("xin_ring_size", "Ring slots in all, over every journal shard.",
            () -> (double)xin.context().ringSize() * xin.context().journalShards());
        counter("xin_proxy_headers", "PROXY protocol headers received.", c.proxyHeaders);
        counter("xin_bad_proxy_headers", "Malformed PROXY protocol headers (connection closed).", c.badProxyHeaders);
        counter("xin_proxy_sources_refused", "Connections to the PROXY port from outside proxy-allowed-sources " +
            "(closed before reading).", c.proxySourcesRefused);
        counter("xin_tls_handshakes", "TLS handshakes completed.", c.tlsHandshakes);
        counter("xin_tls_handshake_failures", "TLS handshakes failed (connection closed).", c.tlsHandshakeFailures);
        counter("xin_group_messages_stored", "Messages sent to groups.", c.groupMessagesStored);
        counter("xin_group_inbox_copies", "Inbox entries written by group fan-out.", c.groupInboxCopies);
        counter("xin_group_membership_changes", "Group membership changes (each a GROUP_EVENT message).",
            c.groupMembershipChanges);
        counter("xin_channel_posts_stored", "Channel posts stored (once each).", c.channelPostsStored);
        counter("xin_channel_follows", "Channel follows started.", c.channelFollows);
        counter("xin_channel_pushes_sent", "Paced channel pushes written to followers.", c.channelPushesSent);
        counter("xin_channel_pushes_dropped", "Channel pushes dropped (follower not writable).",
            c.channelPushesDropped);
        final ServerTls tls = xin.tls();
        if (tls != null)
        {
            CounterWithCallback.builder().name("xin_tls_certificate_reloads")
                .help("TLS certificate and key reloaded after a change of their files.")
                .callback(cb -> cb.call(tls.reloads())).register(registry);
            CounterWithCallback.builder().name("xin_tls_certificate_reload_failures")
                .help("Changed TLS files that could not be loaded (the previous certificate stays).")
                .callback(cb -> cb.call(tls.reloadFailures())).register(registry);
            gauge("xin_tls_certificate_expiry_seconds", "When the certificate served to new connections expires " +
                "(its notAfter), in seconds since the epoch.", tls::expiryEpochSeconds);
        }

        registerRocksDb(xin.store());

        batchEvents = Histogram.builder()
            .name("xin_journal_batch_events")
            .help("Ring events per journal batch (one RocksDB write each).")
            .classicExponentialUpperBounds(1, 2, 14)
            .classicOnly()
            .withoutExemplars()
            .register(registry);
        writeSeconds = Histogram.builder()
            .name("xin_journal_write_seconds")
            .unit(Unit.SECONDS)
            .help("RocksDB write (and fsync, by policy) time of one journal batch.")
            .classicUpperBounds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                0.25, 0.5, 1, 2.5)
            .classicOnly()
            .withoutExemplars()
            .register(registry);

        JvmMetrics.builder().register(registry);
    }

    @Override
    public void onJournalBatchWritten(final int events, final long writeNanos)
    {
        batchEvents.observe(events);
        writeSeconds.observe(writeNanos / NANOS_PER_SECOND);
    }

    /**
     * @return the registry to scrape.
     */
    public PrometheusRegistry registry()
    {
        return registry;
    }

    /**
     * RocksDB's own figures, read from its properties when scraped (the store starts no threads and keeps no
     * statistics object, so the writes pay nothing for them). A closed store reports no samples.
     */
    private void registerRocksDb(final XinStore store)
    {
        storeGauge("xin_rocksdb_sst_files_bytes", Unit.BYTES, "Size of every SST file, live or awaiting deletion.",
            () -> store.longProperty("rocksdb.total-sst-files-size", true));
        storeGauge("xin_rocksdb_live_data_bytes", Unit.BYTES, "RocksDB's estimate of the live data's size.",
            () -> store.longProperty("rocksdb.estimate-live-data-size", true));
        storeGauge("xin_rocksdb_memtable_bytes", Unit.BYTES, "Memtables, active and awaiting flush.",
            () -> store.longProperty("rocksdb.cur-size-all-mem-tables", true));
        storeGauge("xin_rocksdb_pending_compaction_bytes", Unit.BYTES,
            "Bytes compaction must rewrite to bring every level under its target size (RocksDB's estimate).",
            () -> store.longProperty("rocksdb.estimate-pending-compaction-bytes", true));
        storeGauge("xin_rocksdb_running_compactions", null, "Compactions running now.",
            () -> store.longProperty("rocksdb.num-running-compactions", false));
        storeGauge("xin_rocksdb_running_flushes", null, "Memtable flushes running now.",
            () -> store.longProperty("rocksdb.num-running-flushes", false));
        storeGauge("xin_rocksdb_write_stopped", null, "1 while RocksDB stops writes (too many L0 files, memtables "
            + "or pending compaction bytes): journal writes wait.",
            () -> store.longProperty("rocksdb.is-write-stopped", false));
        storeGauge("xin_rocksdb_delayed_write_rate_bytes_per_second", null,
            "Rate RocksDB slows writes to while it delays them; 0 when it does not.",
            () -> store.longProperty("rocksdb.actual-delayed-write-rate", false));
        storeCounter("xin_rocksdb_write_stall_seconds", Unit.SECONDS, "Time writes spent stalled or delayed.",
            () -> store.mapProperty("rocksdb.dbstats", "db.user_write_stall_micros") / MICROS_PER_SECOND);
        storeCounter("xin_rocksdb_compaction_read_bytes", Unit.BYTES, "Bytes read by compactions.",
            () -> store.mapProperty("rocksdb.cfstats", "compaction.Sum.ReadGB") * BYTES_PER_GIB);
        storeCounter("xin_rocksdb_compaction_written_bytes", Unit.BYTES,
            "SST bytes written by flushes and compactions.",
            () -> store.mapProperty("rocksdb.cfstats", "compaction.Sum.WriteGB") * BYTES_PER_GIB);
        storeCounter("xin_rocksdb_background_errors", null, "Errors of flushes and compactions.",
            () -> store.longProperty("rocksdb.background-errors", false));
    }

    private void storeGauge(final String name, final Unit unit, final String help, final DoubleSupplier value)
    {
        final GaugeWithCallback.Builder builder = GaugeWithCallback.builder().name(name).help(help)
            .callback(cb -> readStore(value, cb::call));
        if (null != unit)
        {
            builder.unit(unit);
        }
        builder.register(registry);
    }

    private void storeCounter(final String name, final Unit unit, final String help, final DoubleSupplier value)
    {
        final CounterWithCallback.Builder builder = CounterWithCallback.builder().name(name).help(help)
            .callback(cb -> readStore(value, cb::call));
        if (null != unit)
        {
            builder.unit(unit);
        }
        builder.register(registry);
    }

    private static void readStore(final DoubleSupplier value, final DoubleConsumer sample)
    {
        final double read;
        try
        {
            read = value.getAsDouble();
        }
        catch (final StorageException ex)
        {
            return; // closed: no sample
        }
        sample.accept(read);
    }

    private void counter(final String name, final String help, final LongAdder adder)
    {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(adder.sum())).register(registry);
    }

    private void gauge(final String name, final String help, final DoubleSupplier value)
    {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }
}

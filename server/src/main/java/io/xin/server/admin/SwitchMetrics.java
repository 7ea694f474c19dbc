package io.xin.server.admin;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.xin.cluster.ClusterNode;
import io.xin.core.BuildInfo;
import io.xin.core.XinSwitch;
import io.xin.core.discovery.DiscoveryService;
import io.xin.core.net.ServerTls;
import io.xin.core.status.JournalBatchObserver;
import io.xin.core.status.SwitchCounter;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.storage.StorageException;
import io.xin.storage.XinStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;
import java.util.function.DoubleSupplier;

/**
 * The switch's Prometheus metrics: a series for each exported {@link SwitchCounter}, the switch's status, TLS,
 * RocksDB and the JVM. Counters and gauges are callbacks that read the switch's {@code LongAdder}s when scraped, so the hot path pays nothing for them; the two histograms are
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
        registerCounters(c);
        gauge("xin_storage_failed", "1 once storage failed: no more acks until restart.",
            () -> status.isStorageFailed() ? 1 : 0);
        gauge("xin_draining", "1 while the switch drains for a stop.", () -> status.isDraining() ? 1 : 0);
        gauge("xin_ready", "1 when taking new sessions (what /readyz says).", () -> xin.isReady() ? 1 : 0);
        gauge("xin_ring_occupancy", "Ring slots holding events not yet handled by the dispatcher.",
            xin::ringOccupancy);
        gauge("xin_ring_size", "Ring slots in all, over every journal shard.",
            () -> (double)xin.context().ringSize() * xin.context().journalShards());
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
        if (xin.discovery() != null)
        {
            registerDiscovery(xin.discovery());
        }
        if (xin.context().replicatedShards() instanceof ClusterNode cluster)
        {
            registerCluster(cluster);
        }

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
        storeGauge("xin_log_bytes", Unit.BYTES, "Bytes in the message logs' segment files.", store::logSizeBytes);
        storeGauge("xin_log_unflushed_bytes", Unit.BYTES,
            "Log appended since the last checkpoint: about what a restart after a crash replays.",
            store::logUncheckpointedBytes);
        storeCounter("xin_log_checkpoints", null, "Checkpoints: memtables flushed and the log before them deleted.",
            store::logCheckpoints);
        storeCounter("xin_log_segments_deleted", null, "Log segment files deleted by checkpoints.",
            store::logSegmentsDeleted);
        storeCounter("xin_log_checkpoint_failures", null, "Checkpoints that failed; the log grows until one works.",
            store::logCheckpointFailures);
        storeGauge("xin_log_replayed_at_open_bytes", Unit.BYTES,
            "Log bytes applied to RocksDB when the store opened (0 after a clean stop).", store::logBytesReplayedAtOpen);
        storeGauge("xin_log_replay_at_open_seconds", Unit.SECONDS, "How long the open's replay of the log took.",
            () -> store.logReplayMillisAtOpen() / 1000.0);
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

    /**
     * A series for each exported {@link SwitchCounter}, in the list's order; the counters that share a series
     * are its label's values.
     */
    private void registerCounters(final SwitchCounters counters)
    {
        final Map<String, List<SwitchCounter>> series = new LinkedHashMap<>();
        for (final SwitchCounter counter : SwitchCounter.values())
        {
            if (counter.metricName() != null)
            {
                series.computeIfAbsent(counter.metricName(), name -> new ArrayList<>()).add(counter);
            }
        }
        for (final List<SwitchCounter> labelled : series.values())
        {
            final SwitchCounter first = labelled.get(0);
            if (first.kind() == SwitchCounter.Kind.GAUGE)
            {
                gauge(first.metricName(), first.help(), () -> counters.value(first));
            }
            else if (first.labelName() == null)
            {
                CounterWithCallback.builder().name(first.metricName()).help(first.help())
                    .callback(cb -> cb.call(counters.value(first))).register(registry);
            }
            else
            {
                CounterWithCallback.builder().name(first.metricName()).help(first.help())
                    .labelNames(first.labelName())
                    .callback(cb ->
                    {
                        for (final SwitchCounter counter : labelled)
                        {
                            cb.call(counters.value(counter), counter.labelValue());
                        }
                    })
                    .register(registry);
            }
        }
    }

    private void registerDiscovery(final DiscoveryService discovery)
    {
        counter("xin_discovery_elements_evaluated", "Blinded elements the PRF evaluated (one per number looked up).",
            discovery::elementsEvaluated);
        counter("xin_discovery_tags_matched", "Tags looked up in the directory.", discovery::tagsMatched);
        counter("xin_discovery_rate_limited", "Evaluations refused RATE_LIMITED over a device's or account's budget.",
            discovery::rateLimited);
        counter("xin_discovery_registrations_refused", "Registrations refused NOT_ALLOWED: no proof from the " +
            "number-verifying service, or one that does not hold.", discovery::registrationsRefused);
    }

    private void registerCluster(final ClusterNode cluster)
    {
        gauge("xin_cluster_owned_shards", "Journal shards (partitions) this node owns now.",
            () -> cluster.ownedShards().size());
        gauge("xin_cluster_standby_lag_entries", "Entries of the logs of the shards this node does not own that are " +
            "in Kafka and not yet in its RocksDB: what taking one over would read first.", cluster::standbyLag);
        counter("xin_cluster_appends", "Journal batches appended to Kafka (one transaction each).", cluster::appends);
        CounterWithCallback.builder().name("xin_cluster_append_seconds")
            .help("Time spent in those appends: divided by xin_cluster_appends_total, the mean append latency.")
            .callback(cb -> cb.call(cluster.appendNanos() / NANOS_PER_SECOND)).register(registry);
        counter("xin_cluster_handoffs_received", "Messages for this node's users read from the hand-off topic.",
            cluster::handoffsReceived);
        counter("xin_cluster_standby_entries", "Log entries of shards owned elsewhere applied to this node's " +
            "RocksDB.", cluster::standbyEntriesApplied);
        counter("xin_cluster_restores", "Shards taken over (each after reading its log's tail).", cluster::restores);
        counter("xin_cluster_restored_entries", "Log entries read while taking shards over.",
            cluster::restoredEntries);
        CounterWithCallback.builder().name("xin_cluster_restore_seconds")
            .help("Time from deciding to take a shard to owning it, summed over takeovers.")
            .callback(cb -> cb.call(cluster.restoreNanos() / NANOS_PER_SECOND)).register(registry);
        counter("xin_social_feed_published", "Social feed records this node published (presence, nearby, " +
            "registrations).", cluster.social()::published);
        counter("xin_social_feed_publish_failures", "Social feed records the brokers did not take.",
            cluster.social()::publishFailures);
        counter("xin_social_feed_applied", "Social feed records of other nodes applied here (presence, nearby).",
            cluster.social()::applied);
        counter("xin_social_feed_registrations_applied", "Directory topic records applied to this node's " +
            "discovery directory.", cluster.social()::registrationsApplied);
        gauge("xin_social_feed_lag_records", "Records of the social topic written and not yet read here.",
            () -> cluster.social().lag());
    }

    /**
     * Registers the series of the media HTTP server: its open connections, those refused over its limit, and its
     * failed requests. The switch's own media series come from its counters.
     *
     * @param openConnections    connections open now.
     * @param refusedConnections connections refused over the limit, since the start.
     * @param failures           requests that failed inside the server (not the client's mistakes), since the start.
     */
    public void registerMediaServer(
        final java.util.function.IntSupplier openConnections,
        final java.util.function.LongSupplier refusedConnections,
        final java.util.function.LongSupplier failures)
    {
        gauge("xin_media_http_connections", "Connections open now to the media HTTP server.",
            openConnections::getAsInt);
        counter("xin_media_http_refused_connections", "Connections to the media HTTP server refused over its limit.",
            refusedConnections);
        counter("xin_media_http_failures", "Media HTTP requests that failed in the server (answered 500).", failures);
    }

    private void counter(final String name, final String help, final java.util.function.LongSupplier value)
    {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong()))
            .register(registry);
    }

    private void gauge(final String name, final String help, final DoubleSupplier value)
    {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }
}

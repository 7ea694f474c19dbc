package io.xin.server.daemon;

import io.xin.cluster.ClusterConfig;
import io.xin.cluster.ClusterNode;
import io.xin.core.BuildInfo;
import io.xin.core.ConfigurationException;
import io.xin.core.Configuration;
import io.xin.core.Setting;
import io.xin.core.XinSwitch;
import io.xin.server.admin.AdminServer;
import io.xin.server.media.DaemonMedia;
import io.xin.storage.NativeLibraries;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code xin server}: runs the switch in the foreground until SIGTERM or SIGINT, then drains. Its settings are
 * the options {@link SettingOptions} makes of every {@link Setting}; only {@code --config} and
 * {@code --print-config-template} are its own.
 */
@Command(name = "server", mixinStandardHelpOptions = true, defaultValueProvider = SettingsSource.class,
    versionProvider = VersionProvider.class, modelTransformer = ServerCommand.SettingOptions.class,
    description = {
        "Run the Xin switch in the foreground; SIGTERM or Ctrl-C drains and stops it, a second one forces the exit.",
        "Every setting may also come from the environment (--max-frame-length-bytes: XIN_MAX_FRAME_LENGTH_BYTES) " +
        "or from the --config file (max-frame-length-bytes = ...); a flag wins over the environment, which wins " +
        "over the file."})
public final class ServerCommand implements Callable<Integer>
{
    /** Exit status when a setting is invalid: systemd's unit does not restart on it. */
    public static final int EXIT_BAD_CONFIG = 2;
    /** Exit status when the switch could not start or failed while running. */
    public static final int EXIT_FAILED = 1;

    private static final Logger LOG = LoggerFactory.getLogger(ServerCommand.class);

    @Spec
    CommandSpec spec;

    /** Set by the first of the signal handler and the shutdown hook to drain; the other only waits. */
    private final java.util.concurrent.atomic.AtomicBoolean drainStarted = new java.util.concurrent.atomic.AtomicBoolean();

    @Option(names = "--config", description = "Config file of settings, one 'key = value' a line " +
        "(also XIN_CONFIG); see conf/xin.properties.")
    Path config;

    @Option(names = "--print-config-template", description = "Print a config file documenting every setting " +
        "with its default, and exit.")
    boolean printConfigTemplate;

    @Override
    public Integer call() throws Exception
    {
        if (printConfigTemplate)
        {
            spec.commandLine().getOut().print(ConfigTemplate.render());
            spec.commandLine().getOut().flush();
            return 0;
        }
        final int adminPort;
        final int healthPort;
        String adminToken = null;
        try
        {
            for (final Setting setting : Setting.values())
            {
                if (!setting.inContext())
                {
                    setting.check(value(setting));
                }
            }
            adminPort = (Integer)value(Setting.ADMIN_PORT);
            healthPort = (Integer)value(Setting.HEALTH_PORT);
            if (healthPort > 0 && healthPort == adminPort)
            {
                throw new ConfigurationException(Setting.HEALTH_PORT, "healthPort must differ from adminPort: " +
                    healthPort);
            }
        }
        catch (final ConfigurationException ex)
        {
            return badSetting(ex.setting().key(), ex.getMessage());
        }
        final Path adminTokenFile = (Path)value(Setting.ADMIN_TOKEN_FILE);
        if (adminTokenFile != null)
        {
            try
            {
                adminToken = AdminServer.readToken(adminTokenFile);
            }
            catch (final java.io.IOException | IllegalArgumentException ex)
            {
                return badSetting(Setting.ADMIN_TOKEN_FILE.key(), "adminTokenFile: cannot read a token from " +
                    adminTokenFile + ": " + ex.getMessage());
            }
        }
        LeakDetection.disableUnlessSet();
        LOG.info("Starting {}", BuildInfo.describe());
        final XinSwitch.Context ctx = new XinSwitch.Context();
        for (final Setting setting : Setting.values())
        {
            if (setting.inContext())
            {
                setting.apply(ctx, value(setting));
            }
        }
        final Path jwtPublicKey = (Path)value(Setting.JWT_PUBLIC_KEY);
        if (jwtPublicKey != null)
        {
            try
            {
                ctx.jwtPublicKey(PublicKeys.readPem(jwtPublicKey));
            }
            catch (final java.io.IOException | IllegalArgumentException ex)
            {
                return badSetting(Setting.JWT_PUBLIC_KEY.key(), "jwtPublicKey: cannot read a public key from " +
                    jwtPublicKey + ": " + ex.getMessage());
            }
        }
        final ClusterNode cluster;
        try
        {
            cluster = clusterNode(ctx);
            ctx.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            return badSetting(settingOf(ex), ex.getMessage());
        }
        final DaemonMedia.Options mediaOptions = DaemonMedia.Options.of(this::value);
        final String clusterMediaRefusal = cluster == null ? null : DaemonMedia.clusterRefusal(mediaOptions);
        if (clusterMediaRefusal != null)
        {
            CloseHelper.quietClose(cluster);
            return badSetting(Configuration.MEDIA_STORE_LOCAL.equals(mediaOptions.store()) ?
                Setting.MEDIA_DIR.key() : Setting.MEDIA_SIGNING_KEY.key(), clusterMediaRefusal);
        }
        if (cluster != null)
        {
            try
            {
                cluster.ensureTopics();
            }
            catch (final RuntimeException ex)
            {
                LOG.error("Xin switch failed to start: the cluster's topics: {}", ex.getMessage());
                return EXIT_FAILED;
            }
        }
        // The admin and health ports are taken before the store opens and the client ports listen: a taken port stops
        // the start before any client could connect to a switch that then goes away.
        AdminServer admin = null;
        if (adminPort >= 0 || healthPort >= 0)
        {
            try
            {
                admin = AdminServer.bind((String)value(Setting.ADMIN_HOST), adminPort, adminToken,
                    (String)value(Setting.HEALTH_HOST), healthPort);
            }
            catch (final RuntimeException ex)
            {
                LOG.error("Admin HTTP failed to start: {}. Not starting.", ex.getMessage());
                spec.commandLine().getErr().println("Admin HTTP failed to start: " + ex.getMessage() +
                    ". Not starting.");
                spec.commandLine().getErr().flush();
                return EXIT_FAILED;
            }
        }
        // The media store and its HTTP port too: uploads and downloads work from the switch's first session on.
        final DaemonMedia media;
        try
        {
            media = DaemonMedia.start(mediaOptions, ctx);
        }
        catch (final IllegalArgumentException ex)
        {
            CloseHelper.quietClose(admin);
            return badSetting(settingOf(ex), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(admin);
            LOG.error("Media failed to start: {}. Not starting.", ex.getMessage(), ex);
            spec.commandLine().getErr().println("Media failed to start: " + ex.getMessage() + ". Not starting.");
            spec.commandLine().getErr().flush();
            return EXIT_FAILED;
        }
        try
        {
            final Path rocksDbLibrary = NativeLibraries.loadRocksDb();
            LOG.info("RocksDB native library: {}", rocksDbLibrary == null ? "loaded by rocksdbjni" : rocksDbLibrary);
        }
        catch (final UnsatisfiedLinkError ex)
        {
            CloseHelper.quietCloseAll(media, admin);
            LOG.error("Xin switch failed to start: {}", ex.getMessage());
            return EXIT_FAILED;
        }
        final XinSwitch xin;
        try
        {
            xin = XinSwitch.launch(ctx);
        }
        catch (final IllegalArgumentException ex)
        {
            CloseHelper.quietCloseAll(media, admin);
            return badSetting(settingOf(ex), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(media, admin);
            LOG.error("Xin switch failed to start: {}", ex.toString(), ex);
            return EXIT_FAILED;
        }
        if (media != null)
        {
            media.collectEvery(xin);
        }
        if (cluster != null)
        {
            cluster.start();
            LOG.info("Joined cluster {} as {} ({} partitions, Kafka {})", cluster.config().clusterName(),
                cluster.config().nodeId(), cluster.partitions(), cluster.config().bootstrapServers());
        }
        // What start-up made lives as long as the process (the rings' preallocated slots, the store's handles, the
        // loaded classes): move it to the old generation now, before /readyz answers, instead of copying it in the
        // first young collections under load (40-90 ms pauses on two cores;
        // docs/decisions/0009-full-collection-after-start-up.md).
        System.gc();
        if (admin != null)
        {
            admin.serve(xin);
            if (media != null)
            {
                admin.metrics().registerMediaServer(media::openConnections, media::refusedConnections,
                    media::failures);
            }
        }
        final long drainNoticeMs = (Long)value(Setting.DRAIN_NOTICE_MS);
        new ShutdownSignals(() -> drain(xin, cluster, drainNoticeMs), (Long)value(Setting.SHUTDOWN_DEADLINE_MS))
            .install();
        xin.awaitTermination();
        // After the switch: its media requests are done, and the store outlives them.
        CloseHelper.quietClose(media);
        if (admin != null)
        {
            admin.close();
        }
        return 0;
    }

    /**
     * @param setting a setting of the registry.
     * @return its value after parsing: from the flag, the environment, the config file or its default; boxed.
     */
    Object value(final Setting setting)
    {
        return spec.findOption("--" + setting.key()).getValue();
    }

    private void drain(final XinSwitch xin, final ClusterNode cluster, final long drainNoticeMs)
    {
        if (drainStarted.getAndSet(true))
        {
            CloseHelper.quietClose(cluster);
            xin.close();
            return;
        }
        xin.announceDrain();
        if (drainNoticeMs > 0)
        {
            try
            {
                Thread.sleep(drainNoticeMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        // Leaving the group hands this node's shards to the others at once, before the switch stops.
        CloseHelper.quietClose(cluster);
        xin.close();
    }

    /**
     * The cluster membership the settings ask for, with the switch's context set to run its partitions as journal
     * shards over the replicated logs; null in single-node mode.
     */
    private ClusterNode clusterNode(final XinSwitch.Context ctx)
    {
        final String kafka = (String)value(Setting.CLUSTER_KAFKA);
        if (kafka == null || kafka.isBlank())
        {
            return null;
        }
        String advertised = (String)value(Setting.CLUSTER_ADVERTISED_ADDRESS);
        if (advertised == null || advertised.isBlank())
        {
            if (ctx.port() == 0 || "0.0.0.0".equals(ctx.bindHost()) || "::".equals(ctx.bindHost()))
            {
                throw new ConfigurationException(Setting.CLUSTER_ADVERTISED_ADDRESS, "clusterAdvertisedAddress " +
                    "must be set when host is a wildcard address or port is 0");
            }
            advertised = ctx.bindHost() + ":" + ctx.port();
        }
        final String nodeId = (String)value(Setting.CLUSTER_NODE_ID);
        final ClusterConfig config = new ClusterConfig()
            .bootstrapServers(kafka)
            .clusterName((String)value(Setting.CLUSTER_NAME))
            .nodeId(nodeId == null || nodeId.isBlank() ? advertised : nodeId)
            .advertisedAddress(advertised)
            .partitions((Integer)value(Setting.CLUSTER_PARTITIONS))
            .replicationFactor(((Integer)value(Setting.CLUSTER_REPLICATION_FACTOR)).shortValue())
            .minInsyncReplicas((Integer)value(Setting.CLUSTER_MIN_INSYNC_REPLICAS))
            .sessionTimeoutMs((Integer)value(Setting.CLUSTER_SESSION_TIMEOUT_MS))
            .heartbeatIntervalMs((Integer)value(Setting.CLUSTER_HEARTBEAT_INTERVAL_MS))
            .appendTimeoutMs((Integer)value(Setting.CLUSTER_APPEND_TIMEOUT_MS));
        final Path kafkaProperties = (Path)value(Setting.CLUSTER_KAFKA_PROPERTIES);
        if (kafkaProperties != null)
        {
            final java.util.Properties properties = new java.util.Properties();
            try (java.io.Reader reader = java.nio.file.Files.newBufferedReader(kafkaProperties))
            {
                properties.load(reader);
            }
            catch (final java.io.IOException ex)
            {
                throw new ConfigurationException(Setting.CLUSTER_KAFKA_PROPERTIES, "clusterKafkaProperties: " +
                    "cannot read " + kafkaProperties + ": " + ex.getMessage());
            }
            properties.stringPropertyNames().forEach(name -> config.kafka(name, properties.getProperty(name)));
        }
        try
        {
            config.validate();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException(Setting.CLUSTER_KAFKA, "cluster: " + ex.getMessage());
        }
        final ClusterNode cluster = new ClusterNode(config);
        ctx.journalShards(config.partitions()).replicatedShards(cluster).placement(cluster)
            .socialFeed(cluster.social());
        return cluster;
    }

    /** The key of the setting a refusal is about; null when it names none. */
    private static String settingOf(final IllegalArgumentException ex)
    {
        return ex instanceof ConfigurationException refused ? refused.setting().key() : null;
    }

    private int badSetting(final String key, final String message)
    {
        final StringBuilder text = new StringBuilder("Invalid setting");
        if (key != null)
        {
            text.append(' ').append(key).append(" (flag --").append(key).append(", environment ")
                .append(SettingsSource.envName(key));
            final String source = spec.defaultValueProvider() instanceof SettingsSource settings ?
                settings.sourceOf(key) : null;
            if (source != null)
            {
                text.append(", value from the ").append(source);
            }
            text.append(')');
        }
        text.append(": ").append(message).append(". Not starting.");
        LOG.error("{}", text);
        spec.commandLine().getErr().println(text);
        spec.commandLine().getErr().flush();
        return EXIT_BAD_CONFIG;
    }

    /**
     * The command line of the daemon, with settings from flags, the environment and the config file,
     * and bad values reported with where they came from.
     *
     * @return a command line ready to {@code execute(args)}.
     */
    public static CommandLine commandLine()
    {
        return commandLine(new ServerCommand());
    }

    /**
     * A command line over {@code command}, which is this command or one that has it as a subcommand: enum values in
     * any case, and errors in {@code server}'s flags and settings reported in one line as {@code bin/xind} reports
     * them.
     *
     * @param command the picocli command at the top.
     * @return a command line ready to {@code execute(args)}.
     */
    public static CommandLine commandLine(final Object command)
    {
        final CommandLine commandLine = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler(parameterErrors(commandLine.getParameterExceptionHandler()));
        return commandLine;
    }

    /**
     * Reports a bad flag, value or config key of the {@code server} command in one line on stderr, naming the
     * setting and where its value came from, with {@link #EXIT_BAD_CONFIG}; the usage is for {@code --help}.
     * Errors of other commands go to {@code others}.
     *
     * @param others the handler of parse errors of any other command.
     * @return the handler to set on the top command line (picocli calls the top one's for its subcommands).
     */
    private static CommandLine.IParameterExceptionHandler parameterErrors(final CommandLine.IParameterExceptionHandler others)
    {
        return (ex, args) ->
        {
            if (!(ex.getCommandLine().getCommand() instanceof ServerCommand))
            {
                return others.handleParseException(ex, args);
            }
            final CommandSpec commandSpec = ex.getCommandLine().getCommandSpec();
            final OptionSpec option = ex.getArgSpec() instanceof OptionSpec o ? o : null;
            final String line;
            if (ex instanceof CommandLine.UnmatchedArgumentException unmatched)
            {
                final String nearest = unmatched.getUnmatched().isEmpty() ? null :
                    nearestOption(commandSpec, unmatched.getUnmatched().get(0));
                line = "Invalid command line: " + ex.getMessage() +
                    (nearest == null ? "" : " (did you mean " + nearest + "?)") +
                    "; see " + commandSpec.qualifiedName() + " --help";
            }
            else if (option != null && SettingsSource.isSetting(option))
            {
                final String source = givenOnCommandLine(option, args) ||
                    !(commandSpec.defaultValueProvider() instanceof SettingsSource s) ?
                    null : s.sourceOf(SettingsSource.key(option));
                line = "Invalid setting " + SettingsSource.key(option) + " (value from the " +
                    (source == null ? "command line" : source) + "): " + ex.getMessage();
            }
            else
            {
                line = ex.getMessage();
            }
            ex.getCommandLine().getErr().println(line + ". Not starting.");
            ex.getCommandLine().getErr().flush();
            return EXIT_BAD_CONFIG;
        };
    }

    private static boolean givenOnCommandLine(final OptionSpec option, final String[] args)
    {
        for (final String arg : args)
        {
            for (final String name : option.names())
            {
                if (arg.equals(name) || arg.startsWith(name + "="))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** The option spelt closest to a misspelt one, two edits away at most; null when none is that close. */
    static String nearestOption(final CommandSpec commandSpec, final String given)
    {
        final String name = given.contains("=") ? given.substring(0, given.indexOf('=')) : given;
        String nearest = null;
        int nearestDistance = 3;
        for (final OptionSpec option : commandSpec.options())
        {
            final int distance = editDistance(name, option.longestName());
            if (distance < nearestDistance)
            {
                nearest = option.longestName();
                nearestDistance = distance;
            }
        }
        return nearest;
    }

    private static int editDistance(final String a, final String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++)
            {
                final int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * Adds an option to the {@code server} command for every {@link Setting}: {@code --<key>} of the setting's
     * type, with its default and its doc, so a setting of the registry is a flag, an environment variable and a
     * config key without more code.
     */
    public static final class SettingOptions implements CommandLine.IModelTransformer
    {
        @Override
        public CommandSpec transform(final CommandSpec commandSpec)
        {
            for (final Setting setting : Setting.values())
            {
                commandSpec.addOption(option(setting));
            }
            return commandSpec;
        }

        private static OptionSpec option(final Setting setting)
        {
            final boolean flagWithValue = setting.type() == boolean.class;
            final OptionSpec.Builder option = OptionSpec.builder("--" + setting.key())
                .type(setting.type())
                .paramLabel(flagWithValue ? "true|false" : "<" + setting.contextName() + ">")
                .description(setting.doc() + (setting.defaultValue() == null ? "" : " Default: ${DEFAULT-VALUE}."));
            if (flagWithValue)
            {
                option.arity("1");
            }
            if (setting.defaultValue() != null)
            {
                option.defaultValue(setting.defaultText());
            }
            if (setting.type().isEnum())
            {
                option.converters(value -> enumValue(setting.type(), value));
            }
            return option.build();
        }

        private static Object enumValue(final Class<?> type, final String value)
        {
            final StringBuilder names = new StringBuilder();
            for (final Object constant : type.getEnumConstants())
            {
                final String name = ((Enum<?>)constant).name();
                if (name.equalsIgnoreCase(value.trim()))
                {
                    return constant;
                }
                names.append(names.length() == 0 ? "" : ", ").append(name.toLowerCase(Locale.ROOT));
            }
            throw new CommandLine.TypeConversionException("expected one of " + names + " but was '" + value + "'");
        }
    }
}

package io.xin.server.daemon;

import io.xin.core.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class SettingsSourceTest
{
    @TempDir
    Path dir;

    private ServerCommand parse(final Map<String, String> env, final String... args)
    {
        final ServerCommand command = new ServerCommand();
        final CommandLine commandLine = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setDefaultValueProvider(new SettingsSource(env));
        commandLine.parseArgs(args);
        return command;
    }

    @Test
    void shouldTakeAFlagOverTheEnvironmentOverTheFileOverTheDefault() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"),
            "port = 7001\nmax-frame-length-bytes = 9000\nring-size = 1024\n");
        final ServerCommand command = parse(Map.of("XIN_PORT", "7002", "XIN_MAX_FRAME_LENGTH_BYTES", "8000"),
            "--config", config.toString(), "--port", "7003");

        assertEquals(7003, command.value(Setting.PORT), "flag");
        assertEquals(8000, command.value(Setting.MAX_FRAME_LENGTH_BYTES), "environment");
        assertEquals(1024, command.value(Setting.RING_SIZE), "file");
        assertEquals(200, command.value(Setting.MAX_SYNC_LIMIT), "default");
    }

    @Test
    void shouldTakeTheHashMemtableSettingFromEverySourceAndRefuseAnythingButTrueOrFalse() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("memtable.properties"), "hash-memtable = false\n");

        assertEquals(true, parse(Map.of()).value(Setting.HASH_MEMTABLE), "default");
        assertEquals(false, parse(Map.of("XIN_CONFIG", config.toString())).value(Setting.HASH_MEMTABLE), "file");
        assertEquals(false, parse(Map.of("XIN_HASH_MEMTABLE", "false")).value(Setting.HASH_MEMTABLE), "environment");
        assertEquals(true, parse(Map.of("XIN_HASH_MEMTABLE", "false"), "--hash-memtable", "true").value(Setting.HASH_MEMTABLE),
            "flag");
        assertThrows(CommandLine.ParameterException.class, () -> parse(Map.of(), "--hash-memtable", "maybe"));
        assertThrows(CommandLine.ParameterException.class, () -> parse(Map.of("XIN_HASH_MEMTABLE", "yes")));
    }

    @Test
    void shouldFindTheConfigFileThroughXinConfig() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"), "data-dir = /srv/xin\n");
        final ServerCommand command = parse(Map.of("XIN_CONFIG", config.toString()));

        assertEquals(Path.of("/srv/xin"), command.value(Setting.DATA_DIR));
    }

    @Test
    void shouldSayWhereAValueCameFrom() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"), "ring-size = 1024\n");
        final ServerCommand command = new ServerCommand();
        final SettingsSource source = new SettingsSource(Map.of("XIN_PORT", "7002"));
        new CommandLine(command).setDefaultValueProvider(source).parseArgs("--config", config.toString());

        assertEquals("environment XIN_PORT", source.sourceOf("port"));
        assertEquals("config file " + config + ":1", source.sourceOf("ring-size"));
        assertNull(source.sourceOf("max-sync-limit"));
    }

    @Test
    void shouldRefuseAnUnknownKeyInTheConfigFile() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"), "ring-sise = 1024\n");
        final CommandLine.ParameterException refused = assertThrows(CommandLine.ParameterException.class,
            () -> parse(Map.of(), "--config", config.toString()));
        assertTrue(refused.getMessage().startsWith("Unknown setting 'ring-sise' in the config file"), refused.getMessage());
    }

    @Test
    void shouldRefuseAConfigFileThatCannotBeRead()
    {
        final CommandLine.ParameterException refused = assertThrows(CommandLine.ParameterException.class,
            () -> parse(Map.of(), "--config", dir.resolve("missing.properties").toString()));
        assertTrue(refused.getMessage().startsWith("config: cannot read the config file"), refused.getMessage());
    }

    @Test
    void shouldNameEnvironmentVariablesAfterTheFlags()
    {
        assertEquals("XIN_MAX_FRAME_LENGTH_BYTES", SettingsSource.envName("max-frame-length-bytes"));
        assertEquals("XIN_TLS_CERT", SettingsSource.envName("tls-cert"));
    }

    @Test
    void shouldDocumentEverySettingInTheConfigTemplate()
    {
        final CommandLine commandLine = new CommandLine(new ServerCommand());
        final String template = ConfigTemplate.render();
        for (final CommandLine.Model.OptionSpec option : commandLine.getCommandSpec().options())
        {
            final String key = SettingsSource.key(option);
            if (SettingsSource.isSetting(option) && !"config".equals(key))
            {
                assertTrue(template.contains("\n#" + key + " =") || template.contains("\n" + key + " ="), key);
                assertTrue(template.contains("environment " + SettingsSource.envName(key)), key);
            }
        }
    }

    @Test
    void shouldMakeAnOptionOfEverySettingOfTheRegistry()
    {
        final CommandLine.Model.CommandSpec spec = new CommandLine(new ServerCommand()).getCommandSpec();
        for (final Setting setting : Setting.values())
        {
            final CommandLine.Model.OptionSpec option = spec.findOption("--" + setting.key());
            assertTrue(option != null && SettingsSource.isSetting(option), setting.key());
            assertEquals(setting.type(), option.type(), setting.key());
        }
    }

    @Test
    void shouldTakeTheFsyncPolicyInAnyCaseAndNameTheChoicesOfABadOne()
    {
        assertEquals(io.xin.storage.FsyncPolicy.NEVER, parse(Map.of("XIN_FSYNC", "never")).value(Setting.FSYNC));
        assertEquals(io.xin.storage.FsyncPolicy.BATCH, parse(Map.of(), "--fsync", "BATCH").value(Setting.FSYNC));
        final CommandLine.ParameterException refused = assertThrows(CommandLine.ParameterException.class,
            () -> parse(Map.of(), "--fsync", "sometimes"));
        assertTrue(refused.getMessage().contains("expected one of never, batch but was 'sometimes'"),
            refused.getMessage());
    }
}

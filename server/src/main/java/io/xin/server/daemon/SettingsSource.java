package io.xin.server.daemon;

import io.xin.core.Setting;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a setting comes from when its flag is not given: first the environment, then the config file,
 * then the flag's own default. One name per setting, spelt three ways:
 * <pre>
 *   flag         --max-frame-length-bytes 65536
 *   environment  XIN_MAX_FRAME_LENGTH_BYTES=65536
 *   config file  max-frame-length-bytes = 65536      (Java properties format)
 * </pre>
 * The config file is the {@code --config} flag's, or {@code XIN_CONFIG}'s. A key in it that names no
 * setting is refused, so a misspelt setting cannot be silently ignored. Picocli converts and checks the
 * values as it does flags, so a bad value is reported with the setting's flag name; {@link #sourceOf}
 * says where it came from.
 */
public final class SettingsSource implements CommandLine.IDefaultValueProvider
{
    static final String CONFIG = "config";
    static final String ENV_PREFIX = "XIN_";
    /** A properties line's key: up to the first blank, '=' or ':'. */
    private static final Pattern KEY = Pattern.compile("([^\\s=:]+)");

    private final Map<String, String> env;
    private final Map<String, String> sources = new HashMap<>();
    private Path loadedPath;
    private Properties loaded;
    /** Line of each key in the config file read, for messages. */
    private Map<String, Integer> loadedLines = Map.of();

    /** Reads the process environment. */
    public SettingsSource()
    {
        this(System.getenv());
    }

    SettingsSource(final Map<String, String> env)
    {
        this.env = env;
    }

    /**
     * @param option a setting's option.
     * @return its name in the config file: the long flag without the dashes.
     */
    public static String key(final OptionSpec option)
    {
        return option.longestName().replaceFirst("^-+", "");
    }

    /**
     * @param key a setting's key, e.g. {@code max-frame-length-bytes}.
     * @return its environment variable, e.g. {@code XIN_MAX_FRAME_LENGTH_BYTES}.
     */
    public static String envName(final String key)
    {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * @return true for an option of a {@link Setting} and for {@code --config}; false for the options that only
     * act ({@code --help}, {@code --version}, {@code --print-config-template}), which never come from the
     * environment or the file.
     */
    static boolean isSetting(final OptionSpec option)
    {
        final String key = key(option);
        return CONFIG.equals(key) || Setting.forKey(key) != null;
    }

    @Override
    public String defaultValue(final ArgSpec arg)
    {
        if (!(arg instanceof OptionSpec option) || !isSetting(option))
        {
            return null;
        }
        final String key = key(option);
        final String envName = envName(key);
        final String fromEnv = env.get(envName);
        if (fromEnv != null && !fromEnv.isBlank())
        {
            sources.put(key, "environment " + envName);
            return fromEnv.trim();
        }
        if (CONFIG.equals(key))
        {
            return null;
        }
        final Properties file = file(option.command());
        final String fromFile = file == null ? null : file.getProperty(key);
        if (fromFile != null && !fromFile.isBlank())
        {
            sources.put(key, "config file " + loadedPath + ":" + loadedLines.getOrDefault(key, 0));
            return fromFile.trim();
        }
        return null;
    }

    /**
     * @param key a setting's key.
     * @return where its value came from, when not from its flag or its default; null otherwise.
     */
    public String sourceOf(final String key)
    {
        return sources.get(key);
    }

    /**
     * @return the config file read, or null.
     */
    public Path configFile()
    {
        return loadedPath;
    }

    private Properties file(final CommandSpec spec)
    {
        final OptionSpec configOption = spec.findOption("--" + CONFIG);
        Path path = configOption == null ? null : configOption.getValue();
        if (path == null)
        {
            final String fromEnv = env.get(envName(CONFIG));
            path = fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv.trim());
        }
        if (path == null)
        {
            return null;
        }
        if (!path.equals(loadedPath))
        {
            final Map<String, Integer> lines = new HashMap<>();
            loaded = read(spec, path, lines);
            loadedLines = lines;
            loadedPath = path;
        }
        return loaded;
    }

    private static Properties read(final CommandSpec spec, final Path path, final Map<String, Integer> lines)
    {
        final Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8))
        {
            properties.load(reader);
            keyLines(Files.readAllLines(path, StandardCharsets.UTF_8), lines);
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "config: cannot read the config file " + path + ": " + ex);
        }
        for (final String key : properties.stringPropertyNames())
        {
            final OptionSpec option = spec.findOption("--" + key);
            if (option == null || !isSetting(option) || CONFIG.equals(key))
            {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "Unknown setting '" + key + "' in the config file " + path + ":" + lines.getOrDefault(key, 0) +
                    " (see the shipped conf/xin.properties for every setting)");
            }
        }
        return properties;
    }

    /**
     * The line each key is on, the last one when a key is repeated (as {@link Properties} keeps the last
     * value). Keys with escapes are rare in this file; such a key is found under its escaped spelling only.
     */
    static void keyLines(final List<String> text, final Map<String, Integer> lines)
    {
        boolean continued = false;
        for (int i = 0; i < text.size(); i++)
        {
            final String line = text.get(i).strip();
            final boolean wasContinued = continued;
            continued = line.endsWith("\\") && !line.endsWith("\\\\");
            if (wasContinued || line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == '!')
            {
                continue;
            }
            final Matcher key = KEY.matcher(line);
            if (key.lookingAt())
            {
                lines.put(key.group(1), i + 1);
            }
        }
    }
}

package io.xin.server.daemon;

import io.xin.core.Setting;

/**
 * Writes {@code docs/configuration.md}, the reference of every setting (name, name in {@code XinSwitch.Context},
 * default, range, unit, meaning) grouped by section, from the registry of settings ({@link Setting}). A test
 * keeps the checked-in page equal to this output.
 */
final class ConfigurationDoc
{
    private ConfigurationDoc()
    {
    }

    static String render()
    {
        final StringBuilder out = new StringBuilder(24 * 1024);
        out.append("# Configuration\n\n")
            .append("<!-- Generated from io.xin.core.Setting by GeneratedFilesTest: edit the registry, not this page. -->\n\n")
            .append("Every setting of the switch and of its daemon, grouped by section. A setting has one name, spelt\n")
            .append("three ways: the flag `--max-frame-length-bytes`, the environment variable\n")
            .append("`XIN_MAX_FRAME_LENGTH_BYTES` and the config file key `max-frame-length-bytes`;\n")
            .append("[operations.md](operations.md#configure) says which wins and how a bad value is reported. A program\n")
            .append("that embeds the switch sets the same settings on `XinSwitch.Context`, whose getter is named in\n")
            .append("the second column (a few setters take two settings: `writeBufferWaterMarks(low, high)`,\n")
            .append("`tls(cert, key)`, `sendRateLimit(perSecond, burst)`, `channelPushPace(perSecond, chunk)`);\n")
            .append("settings without one belong to the daemon only. `conf/xin.properties` lists the same settings as\n")
            .append("a config file (`bin/xind --print-config-template`).\n");
        Setting.Section section = null;
        for (final Setting setting : Setting.values())
        {
            if (setting.section() != section)
            {
                section = setting.section();
                out.append("\n## ").append(section.title()).append("\n\n")
                    .append(section.doc()).append("\n\n")
                    .append("| setting | `Context` | default | range | unit | meaning |\n")
                    .append("|---|---|---|---|---|---|\n");
            }
            out.append("| `").append(setting.key()).append("` | ")
                .append(setting.inContext() || setting == Setting.JWT_PUBLIC_KEY ? "`" + setting.contextName() + "`" : "")
                .append(" | ").append(setting.defaultValue() == null ? "none" : "`" + setting.defaultText() + "`")
                .append(" | ").append(cell(setting.range().describe()))
                .append(" | ").append(setting.unit())
                .append(" | ").append(cell(setting.doc())).append(" |\n");
        }
        return out.toString();
    }

    private static String cell(final String text)
    {
        return text.replace("|", "\\|");
    }
}

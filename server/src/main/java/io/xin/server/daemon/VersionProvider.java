package io.xin.server.daemon;

import io.xin.core.BuildInfo;
import picocli.CommandLine;

/**
 * What {@code --version} prints, for picocli's {@code versionProvider}: {@link BuildInfo#describe()}.
 */
public final class VersionProvider implements CommandLine.IVersionProvider
{
    @Override
    public String[] getVersion()
    {
        return new String[] { BuildInfo.describe() };
    }
}

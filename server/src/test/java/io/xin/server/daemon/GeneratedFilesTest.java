package io.xin.server.daemon;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The shipped config file and the configuration reference are generated from the registry of settings; this
 * fails when a checked-in copy differs from what the registry makes. Regenerate both with
 * {@code ./mvnw -B -q -pl switch-core -am verify -Dtest=GeneratedFilesTest -DskipITs
 * -Dsurefire.failIfNoSpecifiedTests=false -Dxin.regenerate=true}; each run also leaves them in
 * {@code switch-core/target/generated-files/}.
 */
final class GeneratedFilesTest
{
    /** The repository's root: tests run in the module's directory. */
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();

    @Test
    void shouldShipTheConfigTemplateOfTheRegistry() throws IOException
    {
        check("dist/src/main/dist/conf/xin.properties", ConfigTemplate.render());
    }

    @Test
    void shouldDocumentTheSettingsOfTheRegistry() throws IOException
    {
        check("docs/configuration.md", ConfigurationDoc.render());
    }

    private static void check(final String file, final String generated) throws IOException
    {
        final Path checkedIn = ROOT.resolve(file);
        final Path copy = ROOT.resolve("switch-core/target/generated-files").resolve(checkedIn.getFileName());
        Files.createDirectories(copy.getParent());
        Files.writeString(copy, generated, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("xin.regenerate"))
        {
            Files.writeString(checkedIn, generated, StandardCharsets.UTF_8);
        }
        final String actual = Files.exists(checkedIn) ? Files.readString(checkedIn, StandardCharsets.UTF_8) : "";
        assertEquals(generated, actual, file + " is out of date: copy " + ROOT.relativize(copy) + " over it, or " +
            "run ./mvnw -B -q -pl switch-core -am verify -Dtest=GeneratedFilesTest -DskipITs " +
            "-Dsurefire.failIfNoSpecifiedTests=false -Dxin.regenerate=true");
    }
}

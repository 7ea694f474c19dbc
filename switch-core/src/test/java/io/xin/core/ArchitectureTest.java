package io.xin.core;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package structure of the switch as a test: no two packages depend on each other, and dependencies
 * point one way, from the embedding API and the session layer down through the ring to the journal and the
 * dispatcher, and from there to storage and the protocol, which know nothing of the switch.
 * <p>
 * Only main classes are imported: tests may reach across layers to build their fixtures.
 */
final class ArchitectureTest
{
    private static final JavaClasses MAIN = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.xin");

    /** Every package of the switch is a slice of its own, the root package (the embedding API) included. */
    private static final SliceAssignment PACKAGES = new SliceAssignment()
    {
        @Override
        public SliceIdentifier getIdentifierOf(final JavaClass javaClass)
        {
            final String name = javaClass.getPackageName();
            return name.equals("io.xin.core") || name.startsWith("io.xin.core.")
                ? SliceIdentifier.of(name) : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription()
        {
            return "the packages of io.xin.core";
        }
    };

    @Test
    void shouldHaveNoCyclesBetweenTheSubPackagesOfTheSwitch()
    {
        slices().matching("io.xin.core.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void shouldHaveNoCyclesBetweenAnyTwoPackagesOfTheSwitchTheRootIncluded()
    {
        slices().assignedFrom(PACKAGES).should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void shouldKeepTheEmbeddingApiAtTheTopOfTheSwitch()
    {
        noClasses().that().resideInAPackage("io.xin.core.(*)..")
            .should().dependOnClassesThat().resideInAPackage("io.xin.core")
            .check(MAIN);
    }

    @Test
    void shouldKeepTheRingJournalAndDispatcherBelowTheSessionsAndTheTransport()
    {
        noClasses().that().resideInAnyPackage("io.xin.core.ring..", "io.xin.core.journal..", "io.xin.core.dispatch..",
                "io.xin.core.sync..", "io.xin.core.official..", "io.xin.core.presence..", "io.xin.core.device..")
            .should().dependOnClassesThat().resideInAnyPackage("io.xin.core.session..", "io.xin.core.net..")
            .check(MAIN);
    }

    @Test
    void shouldKeepTheJournalAndDispatcherBelowTheRingThatRunsThem()
    {
        noClasses().that().resideInAnyPackage("io.xin.core.journal..", "io.xin.core.dispatch..")
            .should().dependOnClassesThat().resideInAPackage("io.xin.core.ring..")
            .check(MAIN);
    }

    /** The layers of docs/architecture.md (Packages): each uses only the layers beneath it. */
    @Test
    void shouldUseOnlyTheLayersBeneath()
    {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("api").definedBy("io.xin.core")
            .layer("session").definedBy("io.xin.core.session..")
            .layer("media").definedBy("io.xin.core.media..")
            .layer("net").definedBy("io.xin.core.net..")
            .layer("ring").definedBy("io.xin.core.ring..")
            .layer("dispatch").definedBy("io.xin.core.dispatch..")
            .layer("discovery").definedBy("io.xin.core.discovery..")
            .layer("journal").definedBy("io.xin.core.journal..", "io.xin.core.sync..", "io.xin.core.official..",
                "io.xin.core.presence..", "io.xin.core.nearby..")
            .layer("base").definedBy("io.xin.core.device..", "io.xin.core.auth..", "io.xin.core.guard..",
                "io.xin.core.status..", "io.xin.core.concurrent..")
            .whereLayer("api").mayNotBeAccessedByAnyLayer()
            .whereLayer("session").mayOnlyBeAccessedByLayers("api")
            .whereLayer("media").mayOnlyBeAccessedByLayers("api", "session")
            .whereLayer("net").mayOnlyBeAccessedByLayers("api", "session")
            .whereLayer("ring").mayOnlyBeAccessedByLayers("api")
            .whereLayer("dispatch").mayOnlyBeAccessedByLayers("api", "session", "ring")
            .whereLayer("discovery").mayOnlyBeAccessedByLayers("api", "session")
            .whereLayer("journal").mayOnlyBeAccessedByLayers("api", "session", "ring", "dispatch")
            .whereLayer("base").mayOnlyBeAccessedByLayers("api", "session", "media", "net", "ring", "dispatch",
                "journal", "discovery")
            .check(MAIN);
    }

    @Test
    void shouldKeepStorageAndTheProtocolFreeOfTheSwitch()
    {
        noClasses().that().resideInAnyPackage("io.xin.storage..", "io.xin.protocol..")
            .should().dependOnClassesThat().resideInAPackage("io.xin.core..")
            .check(MAIN);
    }
}

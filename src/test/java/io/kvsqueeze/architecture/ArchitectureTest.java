package io.kvsqueeze.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The design card's layering: the engine knows nothing of Spring or of the layers built on it; the Spring side
 * depends on the engine, never the reverse.
 */
@AnalyzeClasses(packages = "io.kvsqueeze", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule engineDoesNotUseSpring = noClasses()
            .that().resideInAPackage("io.kvsqueeze.engine..")
            .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "reactor..")
            .because("the engine must run without Spring (CLI, benchmarks, other hosts)");

    @ArchTest
    static final ArchRule engineDoesNotUseOuterLayers = noClasses()
            .that().resideInAPackage("io.kvsqueeze.engine..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.kvsqueeze.cli..", "io.kvsqueeze.eval..", "io.kvsqueeze.spring..")
            .because("outer layers depend on the engine, never the reverse");
}

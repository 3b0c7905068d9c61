package io.kvsqueeze.cli;

import picocli.CommandLine;

final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = KvSqueezeCommand.class.getPackage().getImplementationVersion();
        return new String[] {"kvsqueeze " + (version == null ? "(development build)" : version),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
    }
}

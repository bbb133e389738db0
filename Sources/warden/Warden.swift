import ArgumentParser

/// `warden`: the local toolbox — Runtime API emulator, one-shot invoke, migrations, `warden new` scaffolding.
@main
struct Warden: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Local tools for Warden functions: emulate the Lambda Runtime API, serve a local API Gateway, invoke, migrate, scaffold a tool.",
        subcommands: [EmulateCommand.self, GatewayCommand.self, InvokeCommand.self, CallCommand.self, MigrateCommand.self, APIKeyCommand.self, NewCommand.self]
    )
}

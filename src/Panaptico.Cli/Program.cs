using System.CommandLine;

// `panaptico`: the operator's and auditor's command line. Each feature adds its commands from its own folder.
var root = new RootCommand("Panaptico: governed change for the cloud");
// one line per command group: root.Subcommands.Add(Panaptico.Cli.Xyz.XyzCommands.Create());
root.Subcommands.Add(Panaptico.Cli.Ledger.LedgerCommands.Create());
root.Subcommands.Add(Panaptico.Cli.Verify.VerifyCommand.Create());
root.Subcommands.Add(Panaptico.Cli.Bundles.BundleCommands.Create());
root.Subcommands.Add(Panaptico.Cli.Demo.DemoCommand.Create());
return await root.Parse(args).InvokeAsync();

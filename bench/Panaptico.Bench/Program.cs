// `dotnet run -c Release --project bench/Panaptico.Bench -- <verb> [args]`: each verb prints its own figures.
var verb = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (verb)
{
    // one line per benchmark: case "name": await Panaptico.Bench.SomeBench.RunAsync(rest); return 0;
    case "ledger-append": await Panaptico.Bench.LedgerAppendBench.RunAsync(rest); return 0;
    case "ledger-verify": await Panaptico.Bench.LedgerVerifyBench.RunAsync(rest); return 0;
    case "hash": await Panaptico.Bench.HashingBench.RunAsync(rest); return 0;
    case "gates": await Panaptico.Bench.GatesBench.RunAsync(rest); return 0;
    case "gates-storage": await Panaptico.Bench.GatesStorageBench.RunAsync(rest); return 0;
    case "remediation-chain": await Panaptico.Bench.RemediationChainBench.RunAsync(rest); return 0;
    case "remediation-burst": await Panaptico.Bench.RemediationBurstBench.RunAsync(rest); return 0;
    case "drift-reconcile": await Panaptico.Bench.DriftReconcileBench.RunAsync(rest); return 0;
    case "drift-attribution": await Panaptico.Bench.DriftAttributionBench.RunAsync(rest); return 0;
    default:
        Console.Error.WriteLine($"usage: bench <verb>; unknown verb '{verb}' ({rest.Length} args); verbs: see bench/Panaptico.Bench/Program.cs");
        return 2;
}

using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Functions.Audit;

/// <summary>Settings under <c>Ledger:</c>.</summary>
public sealed record LedgerCheckpointOptions
{
    /// <summary>The same origin the CLI's <c>ledger export</c> uses by default, so their checkpoints read alike.</summary>
    public const string DefaultOrigin = "panaptico.local/ledger";

    /// <summary>The log's origin line, also the checkpoint key's note name.</summary>
    public string Origin { get; init; } = DefaultOrigin;
}

/// <summary>The auditor's read-only API: artifacts, sealed bundles, the ledger's checkpoints, proofs and exports.</summary>
public static class AuditSetup
{
    public static IServiceCollection AddAuditApi(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Ledger");
        var options = new LedgerCheckpointOptions
        {
            Origin = section["Origin"] is { Length: > 0 } origin ? origin : LedgerCheckpointOptions.DefaultOrigin,
        };
        services.AddSingleton(options);
        // Ledger:CheckpointKeyPem (PKCS#8 or SEC1 PEM, ECDSA P-256) is a secret: read here, kept in no options object.
        services.AddSingleton(_ => section["CheckpointKeyPem"] is { Length: > 0 } pem
            ? new LedgerCheckpointKey(EcdsaCheckpointSigner.FromPem(options.Origin, pem), Development: false)
            : new LedgerCheckpointKey(EcdsaCheckpointSigner.Generate(options.Origin), Development: true));
        services.AddSingleton(sp =>
        {
            var signer = sp.GetRequiredService<LedgerCheckpointKey>().Signer;
            return new LedgerProver(sp.GetRequiredService<TableLedger>(), signer, signer.PublicKey, options.Origin);
        });
        services.AddHostedService<CheckpointKeyAnnouncement>();
        return services;
    }
}

/// <summary>The checkpoint signer and whether its key was generated for this process only.</summary>
public sealed record LedgerCheckpointKey(EcdsaCheckpointSigner Signer, bool Development);

/// <summary>Says at start which key signs checkpoints (its public half), and warns when it is a throwaway one.</summary>
public sealed class CheckpointKeyAnnouncement(LedgerCheckpointKey key, ILogger<CheckpointKeyAnnouncement> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var verifierKey = key.Signer.PublicKey.ToVerifierKey();
        if (key.Development)
        {
            logger.LogWarning(
                "Ledger:CheckpointKeyPem is not set: ledger checkpoints are signed with a development key generated for this process ({VerifierKey}); checkpoints it signs cannot be verified against any other instance or restart. Configure a key outside development.",
                verifierKey);
        }
        else
        {
            logger.LogInformation("Ledger checkpoints are signed by {VerifierKey}", verifierKey);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

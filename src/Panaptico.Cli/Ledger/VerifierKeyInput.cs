using Panaptico.Core.Ledger;

namespace Panaptico.Cli.Ledger;

/// <summary>
/// A ledger checkpoint verifier key as every command takes it (<c>ledger … --key</c>, <c>verify --ledger-key</c>): the
/// key text (<c>name+keyid+base64</c>, as <c>GET /api/ledger/key</c> answers it) or the path of a file holding it.
/// </summary>
public static class VerifierKeyInput
{
    public const string Description = "the ledger's checkpoint verifier key (name+keyid+base64) or a file holding it";

    /// <exception cref="FormatException">Neither a file nor a verifier key.</exception>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    public static CheckpointKey Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return CheckpointKey.ParseVerifierKey(File.Exists(value) ? File.ReadAllText(value).Trim() : value);
    }
}

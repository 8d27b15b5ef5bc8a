using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>The change API as the walkthrough tests use it: a change as stored, waiting for a stage, the approver's tap.</summary>
internal static class ChangeApi
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static async Task<ChangeState> ChangeAsync(HttpClient reader, string id) =>
        (await reader.GetFromJsonAsync<JsonObject>(new Uri($"/api/changes/{id}", UriKind.Relative)))!["state"].Deserialize<ChangeState>(RemediationJson.Options)!;

    /// <summary>The change of <paramref name="pattern"/> on <paramref name="asset"/> once it has reached <paramref name="stage"/>, as the API shows it.</summary>
    public static async Task<ChangeState> ReachedAsync(HttpClient reader, AssetId asset, string pattern, ChangeStage stage)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            var listed = (await reader.GetFromJsonAsync<JsonArray>(new Uri("/api/changes", UriKind.Relative), patience.Token))!;
            if (listed.FirstOrDefault(c => c!["asset"]!.GetValue<string>() == asset.ToString() && c["pattern"]!.GetValue<string>() == pattern
                && c["stage"]!.GetValue<string>() == stage.Name()) is { } found)
            {
                return await ChangeAsync(reader, found["id"]!.GetValue<string>());
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), patience.Token);
        }
    }

    /// <summary>Signs every seat nina.ramirez may fill, as the approver's phone does: rationale and the context pack hash she saw.</summary>
    public static async Task<HttpResponseMessage> ApproveAsNinaAsync(TestFunctionApp app, string id, string rationale)
    {
        using var approver = app.CreateClient(app.Issuer.Issue("nina.ramirez", "nina.ramirez", [Role.Approver]));
        var pending = (await approver.GetFromJsonAsync<JsonObject>(new Uri($"/api/changes/{id}", UriKind.Relative)))!;
        var gate = pending["approvalGate"]!;
        HttpResponseMessage? tap = null;
        foreach (var seat in gate["seats"]!.AsArray().Where(s => s!["members"]!.AsArray().Any(m => m!.GetValue<string>() == "nina.ramirez")))
        {
            tap = await approver.PostAsJsonAsync(new Uri($"/api/changes/{id}/approve", UriKind.Relative), new JsonObject
            {
                ["seatId"] = seat!["seatId"]!.GetValue<string>(),
                ["rationale"] = rationale,
                ["contextPackSha256"] = gate["contextPackSha256"]!.GetValue<string>(),
            });
        }
        return tap ?? throw new InvalidOperationException($"nina.ramirez fills no seat of {id}");
    }
}

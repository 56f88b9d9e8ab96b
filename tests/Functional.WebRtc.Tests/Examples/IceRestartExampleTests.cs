using System.Text.Json;
using Functional.WebRtc.Core.Ice;
using IceRestart;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Examples;

/// <summary>
/// The ice-restart example with headless Chromium as its user: the page's data channel carries messages both ways, the
/// page restarts ICE (createOffer({ iceRestart: true })), both sides' ice-ufrags change, Chromium's ICE is connected
/// again on a candidate pair of the new credentials (so our agent answered its checks with the new ones), and messages
/// flow both ways again on the same channel. Run inside a loopback-only namespace (<c>unshare -n</c>).
/// </summary>
public class IceRestartExampleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(5);

    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task TheDataChannelCarriesOnAfterTheBrowserRestartsIce()
    {
        var connections = new Dictionary<string, PeerConnection>();
        await using var host = await ExampleHost.StartAsync((log, listening, stop) =>
            IceRestartExample.RunAsync(new IceRestartOptions { Port = 0, Log = log, Listening = listening }, stop, connections));
        try
        {
            var page = await host.OpenAsync();
            await ExampleHost.PollAsync(() => page.EvaluateAsync<string>("() => window.dc ? window.dc.readyState : 'none'"), s => s == "open",
                TimeSpan.FromSeconds(20), "the channel open");
            await ExchangeAsync(page, "before", 0);
            var server = Server(connections);
            var received = 2;
            // Twice: the second restart starts from credentials the first one made.
            for (var round = 1; round <= 2; round++)
            {
                var before = await DescriptionsAsync(page);
                Assert.Equal(before.Remote, IceRestartExample.Ufrag(server.CurrentLocalDescription!));

                await page.EvaluateAsync("() => window.restartIce()").WaitAsync(TimeSpan.FromSeconds(15));
                var after = await DescriptionsAsync(page);
                output.WriteLine($"restart {round}: browser ufrag {before.Local} -> {after.Local}, ours {before.Remote} -> {after.Remote}");
                Assert.NotEqual(before.Local, after.Local);
                Assert.NotEqual(before.Remote, after.Remote);
                Assert.Same(server, Server(connections)); // the same connection, renegotiated
                Assert.Equal(after.Remote, IceRestartExample.Ufrag(server.CurrentLocalDescription!));
                Assert.Equal(after.Local, IceRestartExample.Ufrag(server.CurrentRemoteDescription!));
                // Our answer is complete: it lists our candidates for the new generation (vanilla ICE).
                var answer = await page.EvaluateAsync<string>("() => window.pc.remoteDescription.sdp").WaitAsync(Step);
                Assert.Contains(answer.Split("\r\n"), l => l.StartsWith("a=candidate:", StringComparison.Ordinal) && l.Contains(" 127.0.0.1 ", StringComparison.Ordinal));

                // Chromium is connected again on a pair of the new generation that got responses from our agent: its
                // checks with the new credentials succeeded.
                var pair = await ExampleHost.PollAsync(() => SelectedPairAsync(page), p =>
                        p.GetProperty("ice").GetString() is "connected" or "completed" &&
                        p.GetProperty("state").GetString() == "succeeded" && p.GetProperty("localUfrag").GetString() == after.Local &&
                        p.GetProperty("responses").GetInt64() >= 1,
                    TimeSpan.FromSeconds(10), "Chromium's selected pair on the new credentials");
                output.WriteLine($"selected pair after restart {round}: {pair.GetRawText()}");
                await ExampleHost.PollAsync(() => Task.FromResult(server.IceConnectionState), s => s is IceConnectionState.Connected or IceConnectionState.Completed,
                    Step, "our ICE connected");
                Assert.Contains(host.Log.Lines, l => l == $"ice restart: ice-ufrag {before.Remote} -> {after.Remote} (browser's {after.Local})");

                // Both ways, on the same channel, after the restart.
                await ExchangeAsync(page, $"after {round}", received);
                received += 2;
            }

            // Still a few seconds later (consent freshness runs on the new credentials).
            await Task.Delay(TimeSpan.FromSeconds(3));
            await ExchangeAsync(page, "later", received);
            Assert.Equal(PeerConnectionState.Connected, server.ConnectionState);
            var states = await page.EvaluateAsync<string[]>("() => window.iceStates");
            output.WriteLine($"Chromium's ICE states: {string.Join(", ", states)}");
            Assert.DoesNotContain("failed", states);
            Assert.DoesNotContain("disconnected", states);
            await host.StopAsync();
        }
        finally { output.WriteLine(host.Log.ToString()); }
    }

    private static PeerConnection Server(Dictionary<string, PeerConnection> connections)
    {
        lock (connections) return Assert.Single(connections.Values);
    }

    /// <summary>Sends two messages from the page and waits (bounded) for both echoes, after the <paramref name="already"/> received before.</summary>
    private static async Task ExchangeAsync(IPage page, string tag, int already)
    {
        await page.EvaluateAsync("tag => { window.dc.send(tag + ' 1'); window.dc.send(tag + ' 2 ✓'); }", tag).WaitAsync(Step);
        var received = await ExampleHost.PollAsync(() => page.EvaluateAsync<string[]>("() => window.received"), r => r.Length >= already + 2,
            Step, $"the echoes of '{tag}'");
        Assert.Equal(new[] { $"echo: {tag} 1", $"echo: {tag} 2 ✓" }, received.Skip(already).ToArray());
    }

    /// <summary>The ice-ufrag of the page's local and remote descriptions.</summary>
    private static async Task<(string Local, string Remote)> DescriptionsAsync(IPage page)
    {
        var sdps = await page.EvaluateAsync<string[]>("() => [window.pc.localDescription.sdp, window.pc.remoteDescription.sdp]").WaitAsync(Step);
        static string Ufrag(string sdp) => sdp.Split("\r\n").First(l => l.StartsWith("a=ice-ufrag:", StringComparison.Ordinal))["a=ice-ufrag:".Length..];
        return (Ufrag(sdps[0]), Ufrag(sdps[1]));
    }

    /// <summary>Chromium's ICE state and its selected pair: state, and the ufrag of its local candidate.</summary>
    private static Task<JsonElement> SelectedPairAsync(IPage page) => page.EvaluateAsync<JsonElement>(@"async () => {
        const stats = await window.pc.getStats();
        let pair = null, local = null;
        stats.forEach(s => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
        if (pair) local = stats.get(pair.localCandidateId);
        const remote = pair ? stats.get(pair.remoteCandidateId) : null;
        return { ice: window.pc.iceConnectionState, state: pair ? pair.state : 'none', localUfrag: local ? (local.usernameFragment || '') : '',
                 remote: remote ? remote.candidateType + ' ' + remote.address + ' ' + remote.port : '',
                 requests: pair ? pair.requestsReceived : 0, responses: pair ? pair.responsesReceived : 0 };
    }").WaitAsync(Step);
}

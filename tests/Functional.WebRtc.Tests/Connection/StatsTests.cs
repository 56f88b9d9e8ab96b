namespace Functional.WebRtc.Tests.Connection;

public class StatsTests
{
    [Fact(Timeout = 20_000)]
    public async Task GetStatsReportsTransportPairCandidatesCertificateAndChannelsWithW3CNames()
    {
        await using var pair = new LoopbackPair();
        var channel = pair.Offerer.CreateDataChannel("stats");
        await pair.NegotiateAsync();
        await LoopbackPair.WaitForAsync(() => channel.ReadyState == DataChannelReadyState.Open &&
                                              pair.Offerer.ConnectionState == PeerConnectionState.Connected, TimeSpan.FromSeconds(15), "open");
        var stats = await pair.Offerer.GetStatsAsync();
        RtcStats One(string type) => Assert.Single(stats, s => s.Type == type);

        var transport = One("transport");
        Assert.Equal("connected", transport["dtlsState"]);
        Assert.Equal("controlling", transport["iceRole"]);
        Assert.Equal("CP", transport["selectedCandidatePairId"]);
        Assert.NotNull(transport["srtpCipher"]);

        var candidatePair = One("candidate-pair");
        Assert.Equal("succeeded", candidatePair["state"]);
        var local = Assert.Single(stats, s => s.Id == (string)candidatePair["localCandidateId"]!);
        var remote = Assert.Single(stats, s => s.Id == (string)candidatePair["remoteCandidateId"]!);
        Assert.Equal("local-candidate", local.Type);
        Assert.Equal("remote-candidate", remote.Type);
        Assert.Equal("127.0.0.1", local["address"]);
        Assert.Equal("127.0.0.1", remote["address"]);
        Assert.Equal("host", local["candidateType"]);

        var certificate = One("certificate");
        Assert.Equal(pair.Offerer.GetConfiguration().Certificates[0].Fingerprint, $"{certificate["fingerprintAlgorithm"]} {certificate["fingerprint"]}");

        var dc = One("data-channel");
        Assert.Equal("stats", dc["label"]);
        Assert.Equal("open", dc["state"]);
        Assert.Equal(1, One("peer-connection")["dataChannelsOpened"]);

        await pair.Offerer.CloseAsync();
        Assert.Contains(await pair.Offerer.GetStatsAsync(), s => s.Type == "certificate"); // still answers once closed
    }
}

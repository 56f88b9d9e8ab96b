using System.Text;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.DataChannels;

public class DataChannelTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public void DcepOpenAndAckRoundTrip()
    {
        var open = new DcepMessage.Open(DcepChannelType.PartialReliableRexmitUnordered, 512, 3, "chat ✓", "json");
        var bytes = open.ToBytes();
        Assert.Equal(0x03, bytes[0]);
        Assert.Equal(0x81, bytes[1]);
        Assert.True(DcepMessage.TryParse(bytes, out var parsed, out _));
        Assert.Equal(open, parsed);
        Assert.True(((DcepMessage.Open)parsed).Unordered);
        Assert.True(DcepMessage.TryParse(new DcepMessage.Ack().ToBytes(), out var ack, out _));
        Assert.IsType<DcepMessage.Ack>(ack);
        Assert.False(DcepMessage.TryParse(new byte[] { 0x03, 0, 0 }, out _, out var err));
        Assert.IsType<RtcError.Syntax>(err);
        Assert.False(DcepMessage.TryParse(new byte[] { 0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, out _, out _)); // unknown channel type
    }

    [Fact]
    public void ChannelCreatedBeforeSctpOpensAndBothSidesExchangeMessages()
    {
        var p = new DcPair(1);
        var h = p.Create("a", new DataChannelOptions("chat", Protocol: "proto"));
        Assert.Equal(DataChannelReadyState.Connecting, p.A.Channels[h].ReadyState);
        p.Start();
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.ChannelOpened>("b").Any(), Limit));
        var remote = p.Of<DataChannelOutput.ChannelOpened>("b").Single().Channel;
        Assert.True(remote.RemoteCreated);
        Assert.Equal(("chat", "proto", (ushort?)0), (remote.Label, remote.Protocol, remote.Id));
        Assert.Equal(DataChannelReadyState.Open, p.A.Channels[h].ReadyState);

        p.Apply("a", new DataChannelInput.Send(p.Now, h, true, Encoding.UTF8.GetBytes("hello")));
        p.Apply("b", new DataChannelInput.Send(p.Now, remote.Handle, false, [1, 2, 3]));
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("a").Any() && p.Of<DataChannelOutput.MessageReceived>("b").Any(), Limit));
        var atB = p.Of<DataChannelOutput.MessageReceived>("b").Single();
        Assert.True(atB.IsString);
        Assert.Equal("hello", Encoding.UTF8.GetString(atB.Data));
        var atA = p.Of<DataChannelOutput.MessageReceived>("a").Single();
        Assert.False(atA.IsString);
        Assert.Equal(new byte[] { 1, 2, 3 }, atA.Data);
        Assert.False(p.A.Channels[h].AwaitingAck);
    }

    [Fact]
    public void StreamIdsFollowDtlsRoleParity()
    {
        var p = new DcPair(2, LinkProfile.Lossy(0.05));
        for (var i = 0; i < 3; i++) p.Create("a", new DataChannelOptions($"a{i}"));
        p.Start();
        for (var i = 0; i < 2; i++) p.Create("b", new DataChannelOptions($"b{i}"));
        Assert.True(p.RunUntil(() => p.A.Channels.Count == 5 && p.B.Channels.Count == 5 && p.A.Channels.Values.All(c => c.ReadyState == DataChannelReadyState.Open), Limit));
        var aIds = p.A.Channels.Values.Where(c => !c.RemoteCreated).Select(c => (int)c.Id!.Value).OrderBy(x => x);
        var bIds = p.B.Channels.Values.Where(c => !c.RemoteCreated).Select(c => (int)c.Id!.Value).OrderBy(x => x);
        Assert.Equal(new[] { 0, 2, 4 }, aIds);
        Assert.Equal(new[] { 1, 3 }, bIds);
        Assert.Equal(new[] { "b0", "b1" }, p.A.Channels.Values.Where(c => c.RemoteCreated).Select(c => c.Label).OrderBy(x => x));
    }

    [Fact]
    public void NegotiatedChannelsSkipDcep()
    {
        var p = new DcPair(3);
        var ha = p.Create("a", new DataChannelOptions("n", Negotiated: true, Id: 7));
        var hb = p.Create("b", new DataChannelOptions("n", Negotiated: true, Id: 7));
        p.Start();
        Assert.True(p.RunUntil(() => p.A.Channels[ha].ReadyState == DataChannelReadyState.Open && p.B.Channels[hb].ReadyState == DataChannelReadyState.Open, Limit));
        p.Apply("a", new DataChannelInput.Send(p.Now, ha, true, Encoding.UTF8.GetBytes("x")));
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Any(), Limit));
        Assert.Equal(hb, p.Of<DataChannelOutput.MessageReceived>("b").Single().Handle);
        Assert.DoesNotContain(p.Of<DataChannelOutput.ChannelOpened>("b"), o => o.Channel.RemoteCreated);
        Assert.Single(p.B.Channels);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void CloseFromEitherSideClosesBoth(string closer)
    {
        var p = new DcPair(4, LinkProfile.Lossy(0.05));
        var h = p.Create("a", new DataChannelOptions("c"));
        p.Start();
        Assert.True(p.RunUntil(() => p.B.Channels.Count == 1, Limit));
        var hb = p.B.Channels.Values.Single().Handle;
        p.Apply("a", new DataChannelInput.Send(p.Now, h, true, Encoding.UTF8.GetBytes("last words")));
        p.Apply(closer, new DataChannelInput.Close(p.Now, closer == "a" ? h : hb));
        Assert.True(p.RunUntil(() => p.A.Channels.IsEmpty && p.B.Channels.IsEmpty, Limit));
        Assert.Single(p.Of<DataChannelOutput.ChannelClosed>("a"));
        Assert.Single(p.Of<DataChannelOutput.ChannelClosed>("b"));
        Assert.Equal("last words", Encoding.UTF8.GetString(p.Of<DataChannelOutput.MessageReceived>("b").Single().Data));
        // The stream id is free again and a new channel works.
        var h2 = p.Create("a", new DataChannelOptions("again"));
        Assert.Equal((ushort?)0, p.A.Channels[h2].Id);
        Assert.True(p.RunUntil(() => p.B.Channels.Count == 1, Limit));
        p.Apply("a", new DataChannelInput.Send(p.Now, h2, true, Encoding.UTF8.GetBytes("new")));
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Count() == 2, Limit));
    }

    [Fact]
    public void TooLargeMessageIsARangeErrorAndNothingIsLost()
    {
        var p = new DcPair(5);
        var h = p.Create("a", new DataChannelOptions("big"));
        p.Start(remoteMaxMessageSize: 65536);
        Assert.True(p.RunUntil(() => p.B.Channels.Count == 1, Limit));
        p.Apply("a", new DataChannelInput.Send(p.Now, h, false, new byte[65536]));
        p.Apply("a", new DataChannelInput.Send(p.Now, h, false, new byte[65537]));
        p.Apply("a", new DataChannelInput.Send(p.Now, h, false, [42]));
        var err = p.Of<DataChannelOutput.Error>("a").Single();
        Assert.IsType<RtcError.Range>(err.Reason);
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Count() == 2, Limit));
        Assert.Equal(new[] { 65536, 1 }, p.Of<DataChannelOutput.MessageReceived>("b").Select(m => m.Data.Length));
    }

    [Fact]
    public void EmptyMessagesKeepTheirType()
    {
        var p = new DcPair(6);
        var h = p.Create("a", new DataChannelOptions("e"));
        p.Start();
        Assert.True(p.RunUntil(() => p.B.Channels.Count == 1, Limit));
        p.Apply("a", new DataChannelInput.Send(p.Now, h, true, []));
        p.Apply("a", new DataChannelInput.Send(p.Now, h, false, []));
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Count() == 2, Limit));
        var got = p.Of<DataChannelOutput.MessageReceived>("b").ToList();
        Assert.Equal(new[] { (true, 0), (false, 0) }, got.Select(m => (m.IsString, m.Data.Length)));
    }

    [Fact]
    public void BufferedAmountLowFiresWhenTheQueueDrains()
    {
        var p = new DcPair(7);
        var h = p.Create("a", new DataChannelOptions("flow"));
        p.Start();
        Assert.True(p.RunUntil(() => p.B.Channels.Count == 1, Limit));
        p.Apply("a", new DataChannelInput.SetBufferedAmountLowThreshold(p.Now, h, 1000));
        for (var i = 0; i < 10; i++) p.Apply("a", new DataChannelInput.Send(p.Now, h, false, new byte[50_000]));
        Assert.True(p.A.Channels[h].BufferedAmount > 1000);
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.BufferedAmountLow>("a").Any(), Limit));
        Assert.True(p.A.Channels[h].BufferedAmount <= 1000);
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Count() == 10, Limit));
    }

    [Fact]
    public void UnreliableUnorderedChannelCarriesItsParametersToThePeer()
    {
        var p = new DcPair(8);
        p.Create("a", new DataChannelOptions("u", Ordered: false, MaxRetransmits: 0));
        p.Create("a", new DataChannelOptions("t", MaxPacketLifeTimeMs: 150));
        p.Start();
        Assert.True(p.RunUntil(() => p.B.Channels.Count == 2, Limit));
        var u = p.B.Channels.Values.Single(c => c.Label == "u");
        var t = p.B.Channels.Values.Single(c => c.Label == "t");
        Assert.Equal((false, (int?)0, (int?)null), (u.Ordered, u.MaxRetransmits, u.MaxPacketLifeTimeMs));
        Assert.Equal((true, (int?)null, (int?)150), (t.Ordered, t.MaxRetransmits, t.MaxPacketLifeTimeMs));
    }

    [Fact]
    public void SendOnAClosedOrUnknownChannelIsInvalidState()
    {
        var p = new DcPair(9);
        var h = p.Create("a", new DataChannelOptions("x"));
        p.Apply("a", new DataChannelInput.Send(p.Now, h, true, [1]));
        p.Apply("a", new DataChannelInput.Send(p.Now, 999, true, [1]));
        Assert.All(p.Of<DataChannelOutput.Error>("a"), e => Assert.IsType<RtcError.InvalidState>(e.Reason));
        Assert.Equal(2, p.Of<DataChannelOutput.Error>("a").Count());
    }
}

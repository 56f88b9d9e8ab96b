using System.Text;
using Functional.WebRtc.Core.Sctp;
using LanguageExt;

namespace Functional.WebRtc.Core.DataChannels;

/// <summary>What the application asks for when it creates a channel (W3C RTCDataChannelInit).</summary>
public sealed record DataChannelOptions(
    string Label,
    bool Ordered = true,
    int? MaxRetransmits = null,
    int? MaxPacketLifeTimeMs = null,
    string Protocol = "",
    bool Negotiated = false,
    ushort? Id = null,
    ushort Priority = 256);

/// <summary>One data channel as a value. <see cref="Handle"/> names it locally before it has a stream id.</summary>
public sealed record DataChannel(
    int Handle,
    string Label,
    string Protocol,
    bool Ordered,
    int? MaxRetransmits,
    int? MaxPacketLifeTimeMs,
    bool Negotiated,
    ushort? Id,
    ushort Priority,
    DataChannelReadyState ReadyState,
    long BufferedAmount = 0,
    long BufferedAmountLowThreshold = 0,
    bool RemoteCreated = false,
    bool AwaitingAck = false,
    bool OutgoingReset = false,
    bool IncomingReset = false)
{
    internal SctpReliability Reliability =>
        MaxRetransmits is { } n ? new SctpReliability.MaxRetransmits(n)
        : MaxPacketLifeTimeMs is { } ms ? new SctpReliability.MaxLifetime(TimeSpan.FromMilliseconds(ms))
        : SctpReliability.Default;

    internal DcepMessage.Open OpenMessage()
    {
        var (type, param) = (MaxRetransmits, MaxPacketLifeTimeMs) switch
        {
            ({ } n, _) => (DcepChannelType.PartialReliableRexmit, (uint)n),
            (_, { } ms) => (DcepChannelType.PartialReliableTimed, (uint)ms),
            _ => (DcepChannelType.Reliable, 0u),
        };
        if (!Ordered) type = (DcepChannelType)((byte)type | 0x80);
        return new DcepMessage.Open(type, Priority, param, Label, Protocol);
    }
}

public abstract record DataChannelInput(TimeSpan At)
{
    /// <summary>DTLS is up: our DTLS role picks stream-id parity (client even, server odd; RFC 8832 6); SCTP starts.</summary>
    public sealed record Start(TimeSpan At, bool DtlsClient, int RemoteMaxMessageSize = 65536) : DataChannelInput(At);
    /// <summary>An SCTP packet from DTLS.</summary>
    public sealed record Received(TimeSpan At, byte[] Packet) : DataChannelInput(At);
    public sealed record ReceivedBatch(TimeSpan At, IReadOnlyList<byte[]> Packets) : DataChannelInput(At);
    public sealed record Tick(TimeSpan At) : DataChannelInput(At);
    /// <summary>createDataChannel: the ChannelCreated output gives the handle.</summary>
    public sealed record Create(TimeSpan At, DataChannelOptions Options) : DataChannelInput(At);
    public sealed record Send(TimeSpan At, int Handle, bool IsString, byte[] Data) : DataChannelInput(At);
    /// <summary>Several sends in order, handled as one: SCTP bundles them into shared packets (one flush).</summary>
    public sealed record SendBatch(TimeSpan At, IReadOnlyList<Send> Sends) : DataChannelInput(At);
    public sealed record Close(TimeSpan At, int Handle) : DataChannelInput(At);
    public sealed record SetBufferedAmountLowThreshold(TimeSpan At, int Handle, long Threshold) : DataChannelInput(At);
    /// <summary>The application consumed received bytes (with SctpConfig.ManualConsume).</summary>
    public sealed record ConsumerReady(TimeSpan At, int Bytes) : DataChannelInput(At);
    /// <summary>Close everything: graceful SCTP shutdown.</summary>
    public sealed record Shutdown(TimeSpan At) : DataChannelInput(At);
}

public abstract record DataChannelOutput
{
    public sealed record Transmit(byte[] Packet) : DataChannelOutput;
    public sealed record WakeAt(TimeSpan At) : DataChannelOutput;
    public sealed record ChannelCreated(DataChannel Channel) : DataChannelOutput;
    /// <summary>The channel is open. For a channel the peer opened (RemoteCreated) this is the "datachannel" event.</summary>
    public sealed record ChannelOpened(DataChannel Channel) : DataChannelOutput;
    public sealed record MessageReceived(int Handle, bool IsString, byte[] Data) : DataChannelOutput;
    public sealed record ChannelClosing(int Handle) : DataChannelOutput;
    public sealed record ChannelClosed(int Handle) : DataChannelOutput;
    public sealed record BufferedAmountLow(int Handle) : DataChannelOutput;
    public sealed record SctpStateChanged(SctpState State) : DataChannelOutput;
    public sealed record Error(int? Handle, RtcError Reason) : DataChannelOutput;
}

/// <summary>
/// The data channels of one peer connection over one SCTP association (RFC 8831, RFC 8832) as a reducer.
/// Channels are immutable values in a map; the association inside is a linear value (see <see cref="SctpAssociation"/>),
/// so after <see cref="Handle"/> use only the returned state.
/// </summary>
public sealed record DataChannelMachine(
    SctpAssociation Association,
    HashMap<int, DataChannel> Channels,
    HashMap<ushort, int> ByStream,
    int NextHandle,
    bool? DtlsClient,
    int RemoteMaxMessageSize,
    bool SctpEstablished)
{
    public static DataChannelMachine Create(SctpConfig config, Entropy entropy) =>
        new(SctpAssociation.Create(config, entropy), HashMap<int, DataChannel>(), HashMap<ushort, int>(), 1, null, 65536, false);

    private static HashMap<K, V> HashMap<K, V>() => LanguageExt.HashMap<K, V>.Empty;

    public Option<DataChannel> Find(int handle) => Channels.Find(handle);

    public static Step<DataChannelMachine, DataChannelOutput> Handle(DataChannelMachine state, DataChannelInput input)
    {
        var outputs = new List<DataChannelOutput>();
        var s = state.Apply(input, outputs);
        return new Step<DataChannelMachine, DataChannelOutput>(s, outputs.ToSeq().Strict());
    }

    private DataChannelMachine Apply(DataChannelInput input, List<DataChannelOutput> o)
    {
        var at = input.At;
        switch (input)
        {
            case DataChannelInput.Start st:
            {
                var s = this with { DtlsClient = st.DtlsClient, RemoteMaxMessageSize = st.RemoteMaxMessageSize };
                foreach (var c in s.Channels.Values.OrderBy(c => c.Handle))
                    if (c.Id is null) s = s.AssignId(c, o);
                return s.Sctp(new SctpInput.Associate(at), o);
            }
            case DataChannelInput.Received r: return Sctp(new SctpInput.Received(at, r.Packet), o);
            case DataChannelInput.ReceivedBatch b: return Sctp(new SctpInput.ReceivedBatch(at, b.Packets), o);
            case DataChannelInput.Tick: return Sctp(new SctpInput.Tick(at), o);
            case DataChannelInput.ConsumerReady c: return Sctp(new SctpInput.ConsumerReady(at, c.Bytes), o);
            case DataChannelInput.Shutdown: return Sctp(new SctpInput.Shutdown(at), o);
            case DataChannelInput.Create c: return OnCreate(at, c.Options, o);
            case DataChannelInput.Send snd: return OnSend(at, snd, o);
            case DataChannelInput.SendBatch batch: return OnSendBatch(at, batch, o);
            case DataChannelInput.Close c: return OnClose(at, c.Handle, o);
            case DataChannelInput.SetBufferedAmountLowThreshold t:
                return Channels.Find(t.Handle).Match(c => Put(c with { BufferedAmountLowThreshold = Math.Max(0, t.Threshold) }), () => this);
            default: return this;
        }
    }

    private DataChannelMachine Put(DataChannel c)
    {
        var s = this with { Channels = Channels.AddOrUpdate(c.Handle, c) };
        return c.Id is { } id ? s with { ByStream = s.ByStream.AddOrUpdate(id, c.Handle) } : s;
    }

    private DataChannelMachine Remove(DataChannel c) =>
        this with { Channels = Channels.Remove(c.Handle), ByStream = c.Id is { } id ? ByStream.Remove(id) : ByStream };

    private ushort MaxStreamId => (ushort)(Association.Config.Streams - 1);

    private DataChannelMachine AssignId(DataChannel c, List<DataChannelOutput> o)
    {
        // RFC 8832 6: the DTLS client uses even stream ids, the server odd ones.
        for (int id = DtlsClient == true ? 0 : 1; id <= MaxStreamId; id += 2)
            if (!ByStream.ContainsKey((ushort)id)) return Put(c with { Id = (ushort)id });
        o.Add(new DataChannelOutput.Error(c.Handle, new RtcError.Operation("no free SCTP stream id")));
        return Put(c with { ReadyState = DataChannelReadyState.Closed });
    }

    private DataChannelMachine OnCreate(TimeSpan at, DataChannelOptions opt, List<DataChannelOutput> o)
    {
        if (opt.MaxRetransmits is not null && opt.MaxPacketLifeTimeMs is not null)
        {
            o.Add(new DataChannelOutput.Error(null, new RtcError.Type("maxRetransmits and maxPacketLifeTime cannot both be set")));
            return this;
        }
        if (Encoding.UTF8.GetByteCount(opt.Label) > 65535 || Encoding.UTF8.GetByteCount(opt.Protocol) > 65535)
        {
            o.Add(new DataChannelOutput.Error(null, new RtcError.Type("label or protocol longer than 65535 bytes")));
            return this;
        }
        if (opt.Negotiated && (opt.Id is not { } nid || nid > MaxStreamId))
        {
            o.Add(new DataChannelOutput.Error(null, new RtcError.Type("a negotiated channel needs an id below 65535")));
            return this;
        }
        if (opt.Negotiated && ByStream.ContainsKey(opt.Id!.Value))
        {
            o.Add(new DataChannelOutput.Error(null, new RtcError.Operation($"stream id {opt.Id} is in use")));
            return this;
        }
        var c = new DataChannel(NextHandle, opt.Label, opt.Protocol, opt.Ordered, opt.MaxRetransmits, opt.MaxPacketLifeTimeMs,
            opt.Negotiated, opt.Negotiated ? opt.Id : null, opt.Priority, DataChannelReadyState.Connecting);
        var s = (this with { NextHandle = NextHandle + 1 }).Put(c);
        if (c.Id is null && DtlsClient is not null) s = s.AssignId(c, o);
        c = s.Channels[c.Handle];
        o.Add(new DataChannelOutput.ChannelCreated(c));
        return s.SctpEstablished && c.ReadyState == DataChannelReadyState.Connecting ? s.Announce(at, c, o) : s;
    }

    /// <summary>Opens a channel on an established association: DCEP OPEN for in-band channels (RFC 8832 6), nothing for negotiated ones.</summary>
    private DataChannelMachine Announce(TimeSpan at, DataChannel c, List<DataChannelOutput> o)
    {
        var s = this;
        if (!c.Negotiated && !c.RemoteCreated)
        {
            s = s.Sctp(new SctpInput.Send(at, c.Id!.Value, Ppid.Dcep, c.OpenMessage().ToBytes(), true, SctpReliability.Default), o);
            c = c with { AwaitingAck = true };
        }
        c = c with { ReadyState = DataChannelReadyState.Open };
        o.Add(new DataChannelOutput.ChannelOpened(c));
        return s.Put(c);
    }

    private DataChannelMachine OnSend(TimeSpan at, DataChannelInput.Send snd, List<DataChannelOutput> o) =>
        ToSctp(at, snd, o) is { } send ? Sctp(send, o) : this;

    private DataChannelMachine OnSendBatch(TimeSpan at, DataChannelInput.SendBatch batch, List<DataChannelOutput> o)
    {
        var sends = new List<SctpInput.Send>(batch.Sends.Count);
        foreach (var snd in batch.Sends) if (ToSctp(at, snd, o) is { } send) sends.Add(send);
        return sends.Count == 0 ? this : Sctp(new SctpInput.SendBatch(at, sends), o);
    }

    /// <summary>Checks one send against its channel; the SCTP send, or null after an error output.</summary>
    private SctpInput.Send? ToSctp(TimeSpan at, DataChannelInput.Send snd, List<DataChannelOutput> o)
    {
        if (Channels.Find(snd.Handle).IsNone)
        {
            o.Add(new DataChannelOutput.Error(snd.Handle, new RtcError.InvalidState("no such data channel")));
            return null;
        }
        var c = Channels[snd.Handle];
        if (c.ReadyState != DataChannelReadyState.Open)
        {
            o.Add(new DataChannelOutput.Error(c.Handle, new RtcError.InvalidState($"data channel is {c.ReadyState}")));
            return null;
        }
        var limit = Math.Min(RemoteMaxMessageSize <= 0 ? int.MaxValue : RemoteMaxMessageSize, Association.Config.MaxMessageSize);
        if (snd.Data.Length > limit)
        {
            o.Add(new DataChannelOutput.Error(c.Handle, new RtcError.Range($"message of {snd.Data.Length} bytes exceeds the maximum message size {limit}")));
            return null;
        }
        // RFC 8831 6.6: empty messages travel as one byte with their own PPIDs.
        var (ppid, payload) = snd.Data.Length == 0
            ? (snd.IsString ? Ppid.StringEmpty : Ppid.BinaryEmpty, new byte[1])
            : (snd.IsString ? Ppid.String : Ppid.Binary, snd.Data);
        // Until the ACK arrives, send ordered so no message overtakes the DATA_CHANNEL_OPEN (RFC 8832 6).
        var ordered = c.Ordered || c.AwaitingAck;
        return new SctpInput.Send(at, c.Id!.Value, ppid, payload, ordered, c.Reliability);
    }

    private DataChannelMachine OnClose(TimeSpan at, int handle, List<DataChannelOutput> o)
    {
        if (Channels.Find(handle).IsNone) return this;
        var c = Channels[handle];
        switch (c.ReadyState)
        {
            case DataChannelReadyState.Closing or DataChannelReadyState.Closed:
                return this;
            case DataChannelReadyState.Connecting when c.Id is null || !SctpEstablished:
                o.Add(new DataChannelOutput.ChannelClosed(c.Handle));
                return Remove(c);
        }
        o.Add(new DataChannelOutput.ChannelClosing(c.Handle));
        // RFC 8831 6.7: close by resetting the outgoing stream; the peer resets its own in answer.
        return Put(c with { ReadyState = DataChannelReadyState.Closing }).Sctp(new SctpInput.ResetStreams(at, Prelude.Array(c.Id!.Value)), o);
    }

    /// <summary>Runs the association and folds its outputs into channel events.</summary>
    private DataChannelMachine Sctp(SctpInput input, List<DataChannelOutput> o)
    {
        var step = SctpAssociation.Handle(Association, input);
        var s = this with { Association = step.State };
        foreach (var x in step.Outputs) s = s.OnSctpOutput(input.At, x, o);
        return s;
    }

    private DataChannelMachine OnSctpOutput(TimeSpan at, SctpOutput x, List<DataChannelOutput> o)
    {
        switch (x)
        {
            case SctpOutput.Transmit t: o.Add(new DataChannelOutput.Transmit(t.Packet)); return this;
            case SctpOutput.WakeAt w: o.Add(new DataChannelOutput.WakeAt(w.At)); return this;
            case SctpOutput.Error e: o.Add(new DataChannelOutput.Error(null, e.Reason)); return this;
            case SctpOutput.StateChanged sc:
                o.Add(new DataChannelOutput.SctpStateChanged(sc.State));
                if (sc.State == SctpState.Established && !SctpEstablished)
                {
                    var s = this with { SctpEstablished = true };
                    foreach (var c in s.Channels.Values.OrderBy(c => c.Handle))
                        if (c.ReadyState == DataChannelReadyState.Connecting && c.Id is not null) s = s.Announce(at, c, o);
                    return s;
                }
                if (sc.State == SctpState.Closed)
                {
                    var s = this with { SctpEstablished = false };
                    foreach (var c in s.Channels.Values.OrderBy(c => c.Handle))
                    {
                        o.Add(new DataChannelOutput.ChannelClosed(c.Handle));
                        s = s.Remove(c);
                    }
                    return s;
                }
                return this;
            case SctpOutput.Delivered d: return OnDelivered(at, d, o);
            case SctpOutput.BufferedAmountChanged b:
            {
                if (ByStream.Find(b.StreamId).IsNone) return this;
                var c = Channels[ByStream[b.StreamId]];
                var before = c.BufferedAmount;
                var after = b.BufferedAmount;
                if (before > c.BufferedAmountLowThreshold && after <= c.BufferedAmountLowThreshold)
                    o.Add(new DataChannelOutput.BufferedAmountLow(c.Handle));
                return Put(c with { BufferedAmount = after });
            }
            case SctpOutput.StreamsReset r:
            {
                var s = this;
                foreach (var id in r.StreamIds)
                {
                    if (s.ByStream.Find(id).IsNone) continue;
                    var c = s.Channels[s.ByStream[id]] with { IncomingReset = true };
                    if (c.ReadyState is DataChannelReadyState.Open or DataChannelReadyState.Connecting)
                    {
                        // The peer closed: close our direction too (RFC 8831 6.7).
                        o.Add(new DataChannelOutput.ChannelClosing(c.Handle));
                        c = c with { ReadyState = DataChannelReadyState.Closing };
                        s = s.Put(c).Sctp(new SctpInput.ResetStreams(at, Prelude.Array(id)), o);
                    }
                    else s = s.Put(c);
                    s = s.MaybeClosed(s.Channels[c.Handle], o);
                }
                return s;
            }
            case SctpOutput.OutgoingStreamsReset r:
            {
                var s = this;
                foreach (var id in r.StreamIds)
                {
                    if (s.ByStream.Find(id).IsNone) continue;
                    var c = s.Channels[s.ByStream[id]] with { OutgoingReset = true };
                    s = s.Put(c).MaybeClosed(c, o);
                }
                return s;
            }
            default: return this;
        }
    }

    private DataChannelMachine MaybeClosed(DataChannel c, List<DataChannelOutput> o)
    {
        if (!(c.OutgoingReset && c.IncomingReset)) return this;
        o.Add(new DataChannelOutput.ChannelClosed(c.Handle));
        return Remove(c);
    }

    /// <summary>
    /// With ManualConsume the application frees the receive window for the messages it is given (ConsumerReady); what
    /// never reaches it (DCEP, messages for unknown streams) is freed here at once.
    /// </summary>
    private DataChannelMachine OnDelivered(TimeSpan at, SctpOutput.Delivered d, List<DataChannelOutput> o)
    {
        var before = o.Count;
        var next = OnDeliveredMessage(at, d, o);
        var surfaced = o.Skip(before).Any(x => x is DataChannelOutput.MessageReceived);
        return surfaced || !next.Association.Config.ManualConsume || d.Payload.Length == 0
            ? next
            : next.Sctp(new SctpInput.ConsumerReady(at, d.Payload.Length), o);
    }

    private DataChannelMachine OnDeliveredMessage(TimeSpan at, SctpOutput.Delivered d, List<DataChannelOutput> o)
    {
        var known = ByStream.Find(d.StreamId);
        if (d.Ppid == Ppid.Dcep)
        {
            if (!DcepMessage.TryParse(d.Payload, out var m, out var err))
            {
                o.Add(new DataChannelOutput.Error(null, err!));
                return this;
            }
            switch (m)
            {
                case DcepMessage.Open open when known.IsNone:
                {
                    // The opener's parity is the opposite of ours (RFC 8832 6); a clash is a protocol error.
                    if (DtlsClient is { } client && (d.StreamId % 2 == 0) == client)
                    {
                        o.Add(new DataChannelOutput.Error(null, new RtcError.Operation($"peer opened stream {d.StreamId} with our parity")));
                        return Sctp(new SctpInput.ResetStreams(at, Prelude.Array(d.StreamId)), o);
                    }
                    var kind = (byte)open.ChannelType & 0x7F;
                    var c = new DataChannel(NextHandle, open.Label, open.Protocol, !open.Unordered,
                        kind == 1 ? (int)Math.Min(open.ReliabilityParameter, int.MaxValue) : null,
                        kind == 2 ? (int)Math.Min(open.ReliabilityParameter, int.MaxValue) : null,
                        false, d.StreamId, open.Priority, DataChannelReadyState.Open, RemoteCreated: true);
                    var s = (this with { NextHandle = NextHandle + 1 }).Put(c);
                    s = s.Sctp(new SctpInput.Send(at, d.StreamId, Ppid.Dcep, new DcepMessage.Ack().ToBytes(), true, SctpReliability.Default), o);
                    o.Add(new DataChannelOutput.ChannelOpened(c));
                    return s;
                }
                case DcepMessage.Open:
                    o.Add(new DataChannelOutput.Error(known.IfNoneUnsafe(0), new RtcError.Operation($"DATA_CHANNEL_OPEN for stream {d.StreamId} already in use")));
                    return this;
                case DcepMessage.Ack when known.IsSome:
                {
                    var c = Channels[known.IfNoneUnsafe(0)];
                    return Put(c with { AwaitingAck = false });
                }
                default: return this;
            }
        }
        if (known.IsNone) return this; // data for a stream without a channel: dropped
        var ch = Channels[known.IfNoneUnsafe(0)];
        if (ch.ReadyState is not (DataChannelReadyState.Open or DataChannelReadyState.Closing)) return this;
        // Any user message implies the peer got our OPEN (RFC 8832 6).
        var s2 = ch.AwaitingAck ? Put(ch with { AwaitingAck = false }) : this;
        switch (d.Ppid)
        {
            case Ppid.String or Ppid.StringPartial: o.Add(new DataChannelOutput.MessageReceived(ch.Handle, true, d.Payload)); break;
            case Ppid.Binary or Ppid.BinaryPartial: o.Add(new DataChannelOutput.MessageReceived(ch.Handle, false, d.Payload)); break;
            case Ppid.StringEmpty: o.Add(new DataChannelOutput.MessageReceived(ch.Handle, true, [])); break;
            case Ppid.BinaryEmpty: o.Add(new DataChannelOutput.MessageReceived(ch.Handle, false, [])); break;
        }
        return s2;
    }
}

using System.Net;
using Functional.WebRtc.Core.Stun;
using LanguageExt;

namespace Functional.WebRtc.Core.Ice;

/// <summary>The TURN-over-UDP client part of the agent (RFC 8656): allocation, refresh, permissions, channels, Send/Data.</summary>
public sealed partial record IceAgent
{
    private static readonly TimeSpan PermissionRefresh = TimeSpan.FromSeconds(240);   // permissions last 300 s (RFC 8656 9)
    private static readonly TimeSpan ChannelRefresh = TimeSpan.FromSeconds(540);      // channels last 600 s (RFC 8656 12)

    private static void SetAllocation(Run r, int id, Func<TurnAllocation, TurnAllocation> f) =>
        r.S = r.S with { Allocations = r.S.Allocations.Map(a => a.Id == id ? f(a) : a) };

    private static TurnAllocation? Allocation(IceAgent s, int id) => s.Allocations.FirstOrNull(a => a.Id == id);

    private static byte[] BuildTurn(Run r, TurnAllocation a, TurnRequest request)
    {
        var (method, attrs) = request switch
        {
            TurnRequest.Allocate => (StunMethod.Allocate, new List<StunAttribute> { new StunAttribute.RequestedTransport(17) }),
            TurnRequest.Refresh x => (StunMethod.Refresh, new List<StunAttribute> { new StunAttribute.Lifetime(x.Lifetime) }),
            TurnRequest.CreatePermission x => (StunMethod.CreatePermission, new List<StunAttribute> { new StunAttribute.XorPeerAddress(x.Peer) }),
            TurnRequest.ChannelBind x => (StunMethod.ChannelBind, new List<StunAttribute> { new StunAttribute.ChannelNumber(x.Channel), new StunAttribute.XorPeerAddress(x.Peer) }),
            _ => (StunMethod.Binding, new List<StunAttribute>()),
        };
        if (a.Nonce is not null && a.Realm is not null && a.Key is not null)
        {
            // Long-term credentials (RFC 8489 9.2.4): USERNAME, REALM, NONCE, then MESSAGE-INTEGRITY.
            attrs.Add(new StunAttribute.Username(a.Server.Username));
            attrs.Add(new StunAttribute.Realm(a.Realm));
            attrs.Add(new StunAttribute.Nonce(a.Nonce));
            return new StunMessage(StunClass.Request, method, r.NewTransactionId(), attrs.ToSeq()).Encode(a.Key.Value.Span, fingerprint: true);
        }
        return new StunMessage(StunClass.Request, method, r.NewTransactionId(), attrs.ToSeq()).Encode(fingerprint: true);
    }

    private static void SendTurn(Run r, TurnAllocation a, TurnRequest request) =>
        StartTransaction(r, new IcePurpose.Turn(a.Id, request), null, a.Socket, a.Server.Address, BuildTurn(r, a, request));

    private static void ReceivedFromTurnServer(Run r, TurnAllocation alloc, ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        if (ChannelData.IsChannelData(span))
        {
            if (!ChannelData.TryParse(span, out var ch, out var len, out _)) return;
            foreach (var (peer, number) in alloc.Channels)
                if (number == ch) { ViaRelay(r, alloc, peer, span.Slice(4, len)); return; }
            // The server may use a channel before its ChannelBind success reaches us (RFC 8656 12.2).
            foreach (var tx in r.S.Transactions.Values)
                if (tx.Purpose is IcePurpose.Turn { Request: TurnRequest.ChannelBind bind } t && t.AllocationId == alloc.Id && bind.Channel == ch)
                {
                    ViaRelay(r, alloc, bind.Peer, span.Slice(4, len));
                    return;
                }
            return;
        }
        if (!StunMessage.IsStun(span) || !StunMessage.TryParse(span, out var msg, out _)) return;
        if (msg.Class == StunClass.Indication && msg.Method == StunMethod.Data)
        {
            if (msg.Get<StunAttribute.XorPeerAddress>() is { } p && msg.Get<StunAttribute.Data>() is { } d) ViaRelay(r, alloc, p.EndPoint, d.Value.Span);
            return;
        }
        if (msg.Class is StunClass.SuccessResponse or StunClass.ErrorResponse)
        {
            var host = r.S.Locals.FirstOrNull(l => l.Socket.Equals(alloc.Socket) && l.Candidate.Type == IceCandidateType.Host);
            OnResponse(r, host, alloc.Server.Address, span, msg);
        }
    }

    private static void OnTurnResponse(Run r, IcePurpose.Turn t, ReadOnlySpan<byte> raw, StunMessage msg)
    {
        // A gathering timeout gave up on this allocation: late answers change nothing (each candidate is emitted once, in time).
        if (Allocation(r.S, t.AllocationId) is not { } a || a.State == TurnAllocationState.Failed) return;
        if (msg.Class == StunClass.ErrorResponse)
        {
            var code = msg.Get<StunAttribute.ErrorCode>()?.Code ?? 0;
            var realm = msg.Get<StunAttribute.Realm>()?.Value ?? a.Realm;
            var nonce = msg.Get<StunAttribute.Nonce>()?.Value;
            // 401 (first contact, or bad credentials) and 438 Stale Nonce: retry once with the new nonce (RFC 8489 9.2.5).
            if ((code == 401 || code == 438) && nonce is not null && realm is not null && a.AuthRetries < 3)
            {
                var updated = a with
                {
                    Realm = realm, Nonce = nonce, AuthRetries = a.AuthRetries + 1,
                    Key = new Bytes(StunIntegrity.LongTermKey(a.Server.Username, realm, a.Server.Credential)),
                };
                SetAllocation(r, a.Id, _ => updated);
                SendTurn(r, updated, t.Request);
                return;
            }
            if (t.Request is TurnRequest.Allocate) SetAllocation(r, a.Id, x => x with { State = TurnAllocationState.Failed });
            return;
        }
        if (a.Key is not null && !StunIntegrity.CheckMessageIntegrity(raw, a.Key.Value.Span)) return;
        SetAllocation(r, a.Id, x => x with { AuthRetries = 0 });
        switch (t.Request)
        {
            case TurnRequest.Allocate:
                OnAllocated(r, a, msg);
                break;
            case TurnRequest.Refresh:
                var life = TimeSpan.FromSeconds(msg.Get<StunAttribute.Lifetime>()?.Seconds ?? 600);
                SetAllocation(r, a.Id, x => x with { RefreshAt = r.S.Now + RefreshDelay(life) });
                break;
            case TurnRequest.CreatePermission p:
                SetAllocation(r, a.Id, x => x with { Permissions = x.Permissions.AddOrUpdate(p.Peer.Address, r.S.Now + PermissionRefresh) });
                break;
            case TurnRequest.ChannelBind c:
                SetAllocation(r, a.Id, x => x with
                {
                    Channels = x.Channels.AddOrUpdate(c.Peer, c.Channel),
                    ChannelRefresh = x.ChannelRefresh.AddOrUpdate(c.Peer, r.S.Now + ChannelRefresh),
                    Permissions = x.Permissions.AddOrUpdate(c.Peer.Address, r.S.Now + PermissionRefresh),
                });
                break;
        }
    }

    private static TimeSpan RefreshDelay(TimeSpan lifetime) =>
        lifetime > TimeSpan.FromSeconds(120) ? lifetime - TimeSpan.FromSeconds(60) : lifetime / 2;

    private static void OnAllocated(Run r, TurnAllocation a, StunMessage msg)
    {
        var relayed = msg.Get<StunAttribute.XorRelayedAddress>()?.EndPoint;
        if (relayed is null) { SetAllocation(r, a.Id, x => x with { State = TurnAllocationState.Failed }); return; }
        var mapped = msg.Get<StunAttribute.XorMappedAddress>()?.EndPoint;
        var life = TimeSpan.FromSeconds(msg.Get<StunAttribute.Lifetime>()?.Seconds ?? 600);
        var host = r.S.Locals.FirstOrNull(l => l.Socket.Equals(a.Socket) && l.Candidate.Type == IceCandidateType.Host);
        var localPref = (host?.LocalPreference ?? 40000) - r.S.Allocations.Count(x => x.LocalId is not null);
        var related = mapped ?? a.Socket;
        var c = new IceCandidate(IceCandidate.ComputeFoundation(IceCandidateType.Relay, a.Socket.Address, a.Server.Address.ToString(), IceTransportProtocol.Udp),
            1, IceTransportProtocol.Udp, IceCandidate.ComputePriority(IceCandidateType.Relay, localPref, 1),
            relayed.Address.ToString(), relayed.Port, IceCandidateType.Relay, related.Address.ToString(), related.Port) { Base = relayed };
        var local = new IceLocal(r.NewId(), c, a.Socket, localPref, a.Id, true);
        SetAllocation(r, a.Id, x => x with
        {
            State = TurnAllocationState.Allocated, Relayed = relayed, Mapped = mapped, LocalId = local.Id,
            RefreshAt = r.S.Now + RefreshDelay(life),
        });
        r.S = r.S with { Locals = r.S.Locals.Add(local) };
        r.Emit(new IceOutput.LocalCandidate(c));
        foreach (var remote in r.S.Remotes) AddPair(r, local, remote);
    }

    private static void EnsurePermission(Run r, int allocationId, IPEndPoint peer)
    {
        if (Allocation(r.S, allocationId) is not { State: TurnAllocationState.Allocated } a) return;
        if (a.Permissions.ContainsKey(peer.Address)) return;
        // Mark it now (refresh due immediately if it fails) so one CreatePermission is in flight per peer address.
        SetAllocation(r, a.Id, x => x with { Permissions = x.Permissions.AddOrUpdate(peer.Address, r.S.Now + PermissionRefresh) });
        SendTurn(r, Allocation(r.S, a.Id)!, new TurnRequest.CreatePermission(peer));
    }

    private static void EnsureChannel(Run r, int allocationId, IPEndPoint peer)
    {
        if (Allocation(r.S, allocationId) is not { State: TurnAllocationState.Allocated } a || a.Channels.ContainsKey(peer)) return;
        if (a.NextChannel > ChannelData.MaxChannel) return;
        SetAllocation(r, a.Id, x => x with { NextChannel = (ushort)(x.NextChannel + 1) });
        SendTurn(r, Allocation(r.S, a.Id)!, new TurnRequest.ChannelBind(peer, a.NextChannel));
    }

    // Maps are walked in a fixed order: IPAddress hashes are randomized per process, and replays must match across processes.
    private static void TurnTimers(Run r)
    {
        var now = r.S.Now;
        foreach (var a in r.S.Allocations.Filter(a => a.State == TurnAllocationState.Allocated))
        {
            if (a.RefreshAt <= now)
            {
                SetAllocation(r, a.Id, x => x with { RefreshAt = now + TimeSpan.FromSeconds(30) });
                SendTurn(r, Allocation(r.S, a.Id)!, new TurnRequest.Refresh(600));
            }
            foreach (var (ip, at) in a.Permissions.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal))
                if (at <= now)
                {
                    SetAllocation(r, a.Id, x => x with { Permissions = x.Permissions.SetItem(ip, now + PermissionRefresh) });
                    SendTurn(r, Allocation(r.S, a.Id)!, new TurnRequest.CreatePermission(new IPEndPoint(ip, 0)));
                }
            foreach (var (peer, at) in a.ChannelRefresh.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal))
                if (at <= now && a.Channels.TryGet(peer, out var ch))
                {
                    SetAllocation(r, a.Id, x => x with { ChannelRefresh = x.ChannelRefresh.SetItem(peer, now + ChannelRefresh) });
                    SendTurn(r, Allocation(r.S, a.Id)!, new TurnRequest.ChannelBind(peer, ch));
                }
        }
    }
}

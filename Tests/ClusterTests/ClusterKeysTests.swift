import Cluster
import Testing

@Suite struct ClusterKeysTests {
    @Test func keysAreThePrefixThenTheirKind() {
        let keys = ClusterKeys(prefix: "app1:")
        #expect(keys.sequence == "app1:seq")
        #expect(keys.stream("user:42") == "app1:s:user:42")
        #expect(keys.meta("user:42") == "app1:m:user:42")
        #expect(keys.ids("user:42") == "app1:i:user:42")
        #expect(keys.pubSub("user:42") == "app1:c:user:42")
        #expect(ClusterKeys().pubSub("a") == "herald:c:a")
    }

    @Test func aPubSubNameGivesBackItsChannel() {
        let keys = ClusterKeys()
        #expect(keys.channel(ofPubSub: Array(keys.pubSub("chat/room-1@x").utf8)) == "chat/room-1@x")
    }

    @Test(arguments: ["other:c:news", "herald:s:news", "herald:c:", "herald:", "", "herald:cx:news"])
    func aNameOfAnotherPrefixOrKindNamesNoChannel(name: String) {
        #expect(ClusterKeys().channel(ofPubSub: Array(name.utf8)) == nil)
    }
}

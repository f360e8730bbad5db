package io.ticketgate.gateway.bot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.BufferRecycler;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BotJsonTest {

  /**
   * Every bot call runs on a virtual thread of its own, so buffers kept per thread would never be
   * used twice: the next call, on the next thread, must get the buffers the last one gave back.
   */
  @Test
  void aCallOnANewVirtualThreadReusesTheBuffersAnEarlierCallGaveBack() throws Exception {
    JsonFactory factory = BotJson.MAPPER.getFactory();
    AtomicReference<BufferRecycler> first = new AtomicReference<>();
    AtomicReference<BufferRecycler> second = new AtomicReference<>();
    Thread.ofVirtual().start(() -> {
      BufferRecycler r = factory._getBufferRecycler();
      first.set(r);
      r.releaseToPool();
    }).join();
    Thread.ofVirtual().start(() -> {
      BufferRecycler r = factory._getBufferRecycler();
      second.set(r);
      r.releaseToPool();
    }).join();
    assertThat(second.get()).isSameAs(first.get());
  }

  @Test
  void encodingAndDecodingStillRoundTripWithPooledBuffers() throws Exception {
    for (int i = 0; i < 3; i++) {
      byte[] json = BotJson.MAPPER.writeValueAsBytes(java.util.Map.of("text", "héllo " + i, "n", 1.10));
      assertThat(BotJson.MAPPER.readTree(json).get("text").asText()).isEqualTo("héllo " + i);
    }
  }
}

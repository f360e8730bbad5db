package io.ticketgate.gateway.bot;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Bots on loopback for the HTTP client's tests and benchmark: plain HTTP/1.1, or TLS with HTTP/2
 * and HTTP/1.1 offered (ALPN), the requests of either protocol handed to the same kind of handler
 * as a {@code FullHttpRequest}, one handler per connection (HTTP/1.1) or per stream (HTTP/2).
 */
final class TlsBotServers {

  private static final String PASSWORD = "secret123";

  private TlsBotServers() {
  }

  /** A key pair and certificate for {@code localhost}, made by the JDK's keytool in {@code dir}. */
  static KeyStore localhostKeys(Path dir) throws IOException, InterruptedException, GeneralSecurityException {
    Path keystore = dir.resolve("bot.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "bot", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", PASSWORD).redirectErrorStream(true).start();
    if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
      throw new IOException("keytool failed: " + new String(keytool.getInputStream().readAllBytes(),
          StandardCharsets.UTF_8));
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keystore.toFile())) {
      ks.load(in, PASSWORD.toCharArray());
    }
    return ks;
  }

  /** Trust in exactly {@code keys}' certificate. */
  static TrustManagerFactory trust(KeyStore keys) throws GeneralSecurityException {
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(keys);
    return trust;
  }

  /** The server side of TLS with {@code keys}; with {@code offerHttp2}, HTTP/2 and HTTP/1.1 offered, else nothing negotiated. */
  static SslContext serverTls(KeyStore keys, boolean offerHttp2) throws GeneralSecurityException, IOException {
    KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    managers.init(keys, PASSWORD.toCharArray());
    SslContextBuilder builder = SslContextBuilder.forServer(managers);
    return (offerHttp2 ? HttpConnections.offerHttp2(builder) : builder).build();
  }

  /**
   * Starts a bot on a free loopback port: plain HTTP/1.1 when {@code tls} is null, else TLS and the
   * protocol the client chose.
   *
   * @param answering a new handler of {@code FullHttpRequest}s, for each connection or stream
   * @param onConnection run for each connection accepted
   * @param onStream run for each HTTP/2 stream opened
   * @return the listening channel
   */
  static Channel start(EventLoopGroup group, SslContext tls, Supplier<ChannelHandler> answering,
      Runnable onConnection, Runnable onStream) {
    return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            onConnection.run();
            if (tls == null) {
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), answering.get());
              return;
            }
            ch.pipeline().addLast(tls.newHandler(ch.alloc()),
                new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
                  @Override
                  protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                    if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                      ctx.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                          answering.get());
                      return;
                    }
                    ctx.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                        new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                          @Override
                          protected void initChannel(Http2StreamChannel stream) {
                            onStream.run();
                            stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                                new HttpObjectAggregator(1 << 20), answering.get());
                          }
                        }));
                  }
                });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
  }

  /** The port {@code server} listens on. */
  static int port(Channel server) {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }
}

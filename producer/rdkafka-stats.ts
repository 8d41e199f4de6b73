// librdkafka statistics (`statistics.interval.ms`): the fields the producer reads, for its metrics, status and reachability.
/** The parts of librdkafka's statistics JSON the producer reads. */
export interface RdkafkaStats {
  readonly msg_cnt?: number;
  readonly msg_size?: number;
  readonly txmsgs?: number;
  readonly tx_bytes?: number;
  readonly txmsg_bytes?: number;
  readonly brokers?: Record<
    string,
    {
      readonly nodeid?: number;
      readonly state?: string;
      readonly outbuf_msg_cnt?: number;
      readonly waitresp_msg_cnt?: number;
      readonly txretries?: number;
      readonly txerrs?: number;
      readonly rtt?: { readonly avg?: number; readonly p99?: number };
    }
  >;
}

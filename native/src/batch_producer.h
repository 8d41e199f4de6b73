// BatchProducer's declaration and the per-batch structs its threads share, for producer.cc
// (set-up, argument checks, flush and close) and producer_threads.cc (the sender thread,
// delivery reports and shutdown). The addon's entry point needs only consumer.h.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace tsn {

struct Batch;
struct Slot {
  Batch* batch;
};

struct Failure {
  int32_t index;
  rd_kafka_resp_err_t code;
};

// One produceBatch call. Created and finished on the JS thread; filled in by the sender
// and the delivery-report callback.
struct Batch {
  std::string topic;
  size_t count = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;
  const int32_t *keyStart, *keyLen, *valueStart, *valueLen;
  const int32_t* partitions = nullptr;  // per message, or null: `partition` for all
  int32_t partition = RD_KAFKA_PARTITION_UA;
  std::unique_ptr<Slot[]> slots;
  // Messages (plus one for the sender itself) whose outcome is not known yet.
  std::atomic<size_t> remaining{0};
  std::atomic<size_t> delivered{0};
  std::mutex mu;
  std::vector<Failure> failures;
  std::vector<int32_t> unconfirmed;  // acknowledged without an offset (implicit ack)
  // JS thread only:
  Napi::Promise::Deferred deferred;
  std::vector<Napi::Reference<Napi::Value>> keep;  // the buffer and arrays, until settled
  explicit Batch(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

class BatchProducer : public Napi::ObjectWrap<BatchProducer>, public ClientBase {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BatchProducer(const Napi::CallbackInfo& info);
  ~BatchProducer() override { Shutdown(); }

  // Called by the delivery-report callback (poller or flush thread).
  void Settle(Batch* b) {
    if (b->remaining.fetch_sub(1) == 1) tsfn_.NonBlockingCall(b, Finish);
  }
  // Stops both threads, fails what was never sent, destroys the client. Idempotent.
  void Shutdown();

  rd_kafka_t* rk_ = nullptr;
  std::atomic<bool> stopSender_{false}, stopPoller_{false};
  std::atomic<uint64_t> queueFullWaits_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch*> jobs_;
  bool sending_ = false;  // under mu_: the sender holds a batch
  std::thread sender_, poller_;
  Napi::ThreadSafeFunction tsfn_;
  size_t pending_ = 0;  // JS thread: batches not settled yet (the TSFN is ref'd while > 0)
  int inflight_ = 0;    // JS thread: flush/close workers
  bool closed_ = false;

 private:
  static void Finish(Napi::Env env, Napi::Function, Batch* b);
  void SendLoop();
  void Send(Batch* b, std::map<std::string, rd_kafka_topic_t*>& topics);
  Napi::Value ProduceBatch(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value TakeErrors(const Napi::CallbackInfo& info);
  Napi::Value TakeLogsJs(const Napi::CallbackInfo& info) { return TakeLogs(info.Env(), this); }
  Napi::Value TakeStatsJs(const Napi::CallbackInfo& info) { return TakeStats(info.Env(), this); }
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
};

// dr_msg_cb: records a message's outcome in its batch and settles the batch's share.
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);

}  // namespace tsn

// BatchProducer: produces a batch of messages laid out in one buffer (keys and values at
// offsets and lengths given by typed arrays) and resolves one promise per batch when every
// message of it has a delivery report. Two threads of its own: a sender that hands batches
// to librdkafka in the order produceBatch was called (waiting on a full queue inside the
// batch, never in JS) and a poller that serves delivery reports and errors.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <thread>

#include "common.h"
#include "consumer.h"

namespace tsn {

namespace {

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

}  // namespace

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

static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* slot = static_cast<Slot*>(m->_private);
  Batch* b = slot->batch;
  auto index = static_cast<int32_t>(slot - b->slots.get());
  if (m->err) {
    std::lock_guard<std::mutex> lock(b->mu);
    b->failures.push_back({index, m->err});
  } else if (m->offset < 0) {
    std::lock_guard<std::mutex> lock(b->mu);
    b->unconfirmed.push_back(index);
  } else {
    b->delivered++;
  }
  static_cast<BatchProducer*>(static_cast<ClientBase*>(opaque))->Settle(b);
}

void BatchProducer::Finish(Napi::Env env, Napi::Function, Batch* b) {
  std::unique_ptr<Batch> owned(b);
  if (!env) return;  // the environment is going away
  Napi::Object out = Napi::Object::New(env);
  out.Set("delivered", static_cast<double>(b->delivered.load()));
  Napi::Array failures = Napi::Array::New(env, b->failures.size());
  for (size_t i = 0; i < b->failures.size(); i++) {
    Napi::Object f = ToJsErrorObject(env, FromErr(b->failures[i].code));
    f.Set("index", b->failures[i].index);
    failures.Set(i, f);
  }
  out.Set("failed", failures);
  Napi::Array unconfirmed = Napi::Array::New(env, b->unconfirmed.size());
  for (size_t i = 0; i < b->unconfirmed.size(); i++) unconfirmed.Set(i, b->unconfirmed[i]);
  out.Set("unconfirmed", unconfirmed);
  // The producer object: the first reference kept (see ProduceBatch).
  auto* self = BatchProducer::Unwrap(b->keep[0].Value().As<Napi::Object>());
  if (--self->pending_ == 0 && !self->closed_) self->tsfn_.Unref(env);
  b->deferred.Resolve(out);
}

void BatchProducer::SendLoop() {
  std::map<std::string, rd_kafka_topic_t*> topics;
  for (;;) {
    Batch* b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopSender_ || !jobs_.empty(); });
      if (jobs_.empty()) break;
      b = jobs_.front();
      jobs_.pop_front();
      sending_ = true;
    }
    Send(b, topics);
    {
      std::lock_guard<std::mutex> lock(mu_);
      sending_ = false;
    }
    cv_.notify_all();
  }
  for (auto& t : topics) rd_kafka_topic_destroy(t.second);
}

void BatchProducer::Send(Batch* b, std::map<std::string, rd_kafka_topic_t*>& topics) {
  rd_kafka_topic_t*& rkt = topics[b->topic];
  if (!rkt) rkt = rd_kafka_topic_new(rk_, b->topic.c_str(), nullptr);
  for (size_t i = 0; i < b->count; i++) {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!rkt) err = rd_kafka_last_error();
    const uint8_t* key = b->keyLen[i] < 0 ? nullptr : b->data + b->keyStart[i];
    const uint8_t* value = b->valueLen[i] < 0 ? nullptr : b->data + b->valueStart[i];
    int32_t partition = b->partitions ? b->partitions[i] : b->partition;
    while (!err) {
      if (stopSender_) {
        err = RD_KAFKA_RESP_ERR__PURGE_QUEUE;  // closing: never handed to librdkafka
        break;
      }
      if (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, const_cast<uint8_t*>(value), value ? b->valueLen[i] : 0, key,
                           key ? b->keyLen[i] : 0, &b->slots[i]) == 0)
        break;
      err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
      // Backpressure: librdkafka's queue is full; the poller frees space as reports arrive.
      err = RD_KAFKA_RESP_ERR_NO_ERROR;
      queueFullWaits_++;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (err) {
      {
        std::lock_guard<std::mutex> lock(b->mu);
        b->failures.push_back({static_cast<int32_t>(i), err});
      }
      Settle(b);
    }
  }
  Settle(b);  // the sender's own share: the batch can finish once all reports are in
}

void BatchProducer::Shutdown() {
  if (!rk_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopSender_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
  // Batches queued but never started: fail every message.
  for (Batch* b : jobs_) {
    for (size_t i = 0; i < b->count; i++) {
      {
        std::lock_guard<std::mutex> lock(b->mu);
        b->failures.push_back({static_cast<int32_t>(i), RD_KAFKA_RESP_ERR__PURGE_QUEUE});
      }
      Settle(b);
    }
    Settle(b);
  }
  jobs_.clear();
  // What librdkafka still holds is reported failed (purged), so every batch settles.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  for (int i = 0; i < 50 && rd_kafka_outq_len(rk_) > 0; i++) rd_kafka_poll(rk_, 100);
  stopPoller_ = true;
  if (poller_.joinable()) poller_.join();
  rd_kafka_poll(rk_, 0);
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

Napi::Function BatchProducer::Define(Napi::Env env) {
  return DefineClass(env, "BatchProducer",
                     {InstanceMethod("produceBatch", &BatchProducer::ProduceBatch), InstanceMethod("flush", &BatchProducer::Flush),
                      InstanceMethod("takeErrors", &BatchProducer::TakeErrors), InstanceMethod("takeLogs", &BatchProducer::TakeLogsJs), InstanceMethod("takeStats", &BatchProducer::TakeStatsJs), InstanceMethod("stats", &BatchProducer::Stats),
                      InstanceMethod("close", &BatchProducer::Close)});
}

BatchProducer::BatchProducer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BatchProducer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    Napi::TypeError::New(env, "BatchProducer: expected a config object of string values").ThrowAsJavaScriptException();
    return;
  }
  rd_kafka_conf_t* conf = BuildConf(info[0].As<Napi::Object>());
  if (!conf) return;
  char only[16];
  size_t onlySize = sizeof only;
  if (rd_kafka_conf_get(conf, "delivery.report.only.error", only, &onlySize) == RD_KAFKA_CONF_OK && std::string(only) == "true") {
    // A batch settles when every message has a report: with failure reports only it never would.
    rd_kafka_conf_destroy(conf);
    Napi::Error::New(env, "BatchProducer: delivery.report.only.error=true is not supported (a batch settles on the report of each of its messages)")
        .ThrowAsJavaScriptException();
    return;
  }
  SetCommonCallbacks(conf, static_cast<ClientBase*>(this));
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    Napi::Error::New(env, std::string("BatchProducer: ") + errstr).ThrowAsJavaScriptException();
    return;
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "tickstream-batch-producer", 0, 1);
  tsfn_.Unref(env);  // only pending batches keep the process alive
  sender_ = std::thread([this] { SendLoop(); });
  poller_ = std::thread([this] {
    while (!stopPoller_) rd_kafka_poll(rk_, 50);
  });
}

static const int32_t* Int32Data(const Napi::Value& v, size_t n) {
  static const int32_t none = 0;  // an empty array may have no storage at all
  if (!v.IsTypedArray()) return nullptr;
  auto ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_int32_array || ta.ElementLength() != n) return nullptr;
  if (n == 0) return &none;
  return reinterpret_cast<const int32_t*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
}

// produceBatch(topic, buffer, keyStart, keyLen, valueStart, valueLen, partition?)
Napi::Value BatchProducer::ProduceBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& msg) {
    Napi::TypeError::New(env, "produceBatch: " + msg).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (!rk_ || closed_) return fail("producer is closed");
  if (!info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty()) return fail("topic must be a non-empty string");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return fail("buffer must be a Buffer or Uint8Array");
  auto buf = info[1].As<Napi::Uint8Array>();
  if (!info[2].IsTypedArray()) return fail("keyStart must be an Int32Array");
  size_t n = info[2].As<Napi::TypedArray>().ElementLength();
  const char* names[] = {"keyStart", "keyLen", "valueStart", "valueLen"};
  const int32_t* arrays[4];
  for (int a = 0; a < 4; a++) {
    arrays[a] = Int32Data(info[2 + a], n);
    if (!arrays[a]) return fail(std::string(names[a]) + " must be an Int32Array of " + std::to_string(n) + " elements (as keyStart)");
  }
  auto batch = std::make_unique<Batch>(env);
  if (info.Length() > 6 && !info[6].IsUndefined()) {
    if (info[6].IsNumber()) {
      double p = info[6].As<Napi::Number>().DoubleValue();
      if (!(p >= -1 && p <= INT32_MAX) || static_cast<double>(static_cast<int32_t>(p)) != p) return fail("partition must be an integer >= -1 (-1: the partitioner picks)");
      batch->partition = static_cast<int32_t>(p);
    } else {
      batch->partitions = Int32Data(info[6], n);
      if (!batch->partitions) return fail("partition must be a number or an Int32Array of " + std::to_string(n) + " elements");
      for (size_t i = 0; i < n; i++)
        if (batch->partitions[i] < -1) return fail("partition[" + std::to_string(i) + "] is " + std::to_string(batch->partitions[i]));
    }
  }
  size_t size = buf.ByteLength();
  for (size_t i = 0; i < n; i++) {
    for (int part = 0; part < 2; part++) {
      int64_t start = arrays[part * 2][i], len = arrays[part * 2 + 1][i];
      const char* what = part == 0 ? "key" : "value";
      if (len == -1) continue;  // null
      if (len < -1) return fail(std::string(what) + " " + std::to_string(i) + ": length " + std::to_string(len) + " (use -1 for null)");
      if (start < 0 || static_cast<uint64_t>(start + len) > size)
        return fail(std::string(what) + " " + std::to_string(i) + ": bytes " + std::to_string(start) + ".." + std::to_string(start + len) +
                    " are past the buffer's " + std::to_string(size));
    }
  }
  Napi::Promise promise = batch->deferred.Promise();
  // keep[0] is this producer (Finish finds it there); then everything the sender reads.
  batch->keep.push_back(Napi::Persistent(Value().As<Napi::Value>()));
  for (int a = 1; a < 7 && a < static_cast<int>(info.Length()); a++)
    if (info[a].IsObject()) batch->keep.push_back(Napi::Persistent(info[a]));
  batch->topic = info[0].As<Napi::String>();
  batch->count = n;
  batch->data = buf.Data();
  batch->size = size;
  batch->keyStart = arrays[0];
  batch->keyLen = arrays[1];
  batch->valueStart = arrays[2];
  batch->valueLen = arrays[3];
  batch->slots.reset(new Slot[n > 0 ? n : 1]);
  for (size_t i = 0; i < n; i++) batch->slots[i].batch = batch.get();
  batch->remaining = n + 1;
  if (pending_++ == 0) tsfn_.Ref(env);
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(batch.release());
  }
  cv_.notify_all();
  return promise;
}

class FlushWorker : public PromiseWorker {
 public:
  FlushWorker(BatchProducer* p, int timeoutMs) : PromiseWorker(p->Env()), p_(p), ref_(Napi::Persistent(p->Value())), timeoutMs_(timeoutMs) { p->inflight_++; }
  ~FlushWorker() override { p_->inflight_--; }
  void Execute() override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs_);
    {
      // First every batch handed to librdkafka, then librdkafka's own flush.
      std::unique_lock<std::mutex> lock(p_->mu_);
      if (!p_->cv_.wait_until(lock, deadline, [this] { return p_->jobs_.empty() && !p_->sending_; })) return;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    flushed_ = rd_kafka_flush(p_->rk_, static_cast<int>(left > 0 ? left : 0)) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), flushed_)); }
 private:
  BatchProducer* p_;
  Napi::ObjectReference ref_;
  int timeoutMs_;
  bool flushed_ = false;
};

class ProducerCloseWorker : public PromiseWorker {
 public:
  explicit ProducerCloseWorker(BatchProducer* p) : PromiseWorker(p->Env()), p_(p), ref_(Napi::Persistent(p->Value())) {}
  void Execute() override { p_->Shutdown(); }
  void OnOK() override {
    p_->tsfn_.Release();
    deferred_.Resolve(Env().Undefined());
  }
 private:
  BatchProducer* p_;
  Napi::ObjectReference ref_;
};

Napi::Value BatchProducer::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double t = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!rk_ || closed_) {
    Napi::Error::New(env, "flush: producer is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!(t >= 0 && t <= 3600000)) {
    Napi::TypeError::New(env, "flush: timeoutMs must be a number from 0 to 3600000").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* w = new FlushWorker(this, static_cast<int>(t));
  w->Queue();
  return w->Promise();
}

Napi::Value BatchProducer::TakeErrors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<KafkaError> errs = errors.Take();
  Napi::Array arr = Napi::Array::New(env, errs.size());
  for (size_t i = 0; i < errs.size(); i++) arr.Set(i, ToJsErrorObject(env, errs[i]));
  return arr;
}

Napi::Value BatchProducer::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("queued", rk_ ? rd_kafka_outq_len(rk_) : 0);
  o.Set("queueFullWaits", static_cast<double>(queueFullWaits_.load()));
  o.Set("pendingBatches", static_cast<double>(pending_));
  return o;
}

Napi::Value BatchProducer::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!rk_ || closed_) {
    Napi::Error::New(env, "close: producer is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (inflight_ > 0) {
    Napi::Error::New(env, "close: a flush is in progress; await it first").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  closed_ = true;
  auto* w = new ProducerCloseWorker(this);
  w->Queue();
  return w->Promise();
}

Napi::Function DefineBatchProducer(Napi::Env env) { return BatchProducer::Define(env); }

}  // namespace tsn
